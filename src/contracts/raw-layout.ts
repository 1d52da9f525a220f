// Contract: where ingested data lives (the ingestion functions write it; their grants, written in
// lib/, cover it). Raw records are partitioned Hive-style by event time; the quarantine mirrors that
// layout (by ingestion time, since a rejected row may have no usable event time); the hours of a
// small day of a batch share one object of gzip members under the day's folder; manifests sit
// beside raw under a `_`-prefixed folder that Hive, Spark and Athena skip. Every key is derived from
// the dataset, the hour and a deterministic batch id, so a rerun of the same input writes the same
// keys: one copy, never two.
import { GOVERNANCE_DATASET_ID } from '../domain/guardrails/governance-dataset';

/** Key prefixes, each in its own bucket (raw and manifests share the raw bucket). */
export const RAW_PREFIX = 'raw/';
export const MANIFEST_PREFIX = 'raw/_manifests/';
/** Reports of the raw store's sweeper, one per run. */
export const SWEEP_REPORTS_PREFIX = 'raw/_sweeps/';
/** Key indexes of keyed datasets: the key hashes a batch added, per day. */
export const KEY_INDEX_PREFIX = 'raw/_keys/';
export const QUARANTINE_PREFIX = 'quarantine/';
export const QUARANTINED_FILES_PREFIX = 'quarantine/_files/';
/** Drop zone: files for dataset `x` go under `landing/x/`. */
export const LANDING_PREFIX = 'landing/';
/** The governance dataset in the raw bucket; the guardrail functions' write grant is narrowed to it. */
export const GOVERNANCE_RECORDS_PREFIX = `${RAW_PREFIX}dataset=${GOVERNANCE_DATASET_ID}/`;
/** The governance batches' manifests (each audit event is a batch of one record). */
export const GOVERNANCE_MANIFESTS_PREFIX = `${MANIFEST_PREFIX}dataset=${GOVERNANCE_DATASET_ID}/`;

/** Partition key of a dataset's commit log in the state table (its days and versions are in the sort key). */
export function commitLogPartition(dataset: string): string {
  return `COMMITS#${dataset}`;
}

const HOUR = 3_600_000;

/** One hour of event time, the unit of partitioning and of recomputation. */
export interface HourPartition {
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
  /** `00`-`23` (UTC). */
  readonly hour: string;
  /** Start of the hour, epoch ms; the hour is `[start, start + 1 h)`. */
  readonly start: number;
}

/** The hour that contains `epochMillis`. */
export function hourPartition(epochMillis: number): HourPartition {
  const start = Math.floor(epochMillis / HOUR) * HOUR;
  const iso = new Date(start).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13), start };
}

/** `raw/dataset=<id>/date=<YYYY-MM-DD>/hour=<HH>/`: every object of one hour of one dataset. */
export function rawPartitionPrefix(dataset: string, partition: HourPartition): string {
  return `${RAW_PREFIX}dataset=${dataset}/date=${partition.date}/hour=${partition.hour}/`;
}

/**
 * A raw object: `raw/dataset=<id>/date=<d>/hour=<h>/<batchId>-<part>.ndjson.gz`. A batch writes one
 * object per event hour (part 0000), more parts only when an hour holds more than a part's worth.
 */
export function rawObjectKey(dataset: string, partition: HourPartition, batchId: string, part: number): string {
  return `${rawPartitionPrefix(dataset, partition)}${batchId}-${String(part).padStart(4, '0')}.ndjson.gz`;
}

/**
 * The hours of a small day of a batch as one object of gzip members, one per hour in hour order:
 * `raw/dataset=<id>/date=<d>/<batchId>-day.ndjson.gz` (no `hour=` folder: its hours are in the
 * commit log, each member named by its byte offset).
 */
export function rawDayObjectKey(dataset: string, date: string, batchId: string): string {
  return `${RAW_PREFIX}dataset=${dataset}/date=${date}/${batchId}-day.ndjson.gz`;
}

/** The data-quality records of a batch, in the `pipeline_ingest` dataset's hour of ingestion. */
export function dataQualityObjectKey(dataset: string, partition: HourPartition, batchId: string): string {
  return `${rawPartitionPrefix(dataset, partition)}${batchId}-dq.ndjson.gz`;
}

/** The key hashes a batch added to a keyed dataset on one day: `raw/_keys/dataset=<id>/date=<d>/<batchId>.keys`. */
export function keyIndexKey(dataset: string, date: string, batchId: string): string {
  return `${KEY_INDEX_PREFIX}dataset=${dataset}/date=${date}/${batchId}.keys`;
}

/** Rejected rows of a batch: `quarantine/dataset=<id>/date=<d>/hour=<h>/<batchId>.ndjson.gz`. */
export function quarantineRowsKey(dataset: string, partition: HourPartition, batchId: string): string {
  return `${QUARANTINE_PREFIX}dataset=${dataset}/date=${partition.date}/hour=${partition.hour}/${batchId}.ndjson.gz`;
}

/** A file that could not be read at all, kept as it was: `quarantine/_files/dataset=<id>/date=<d>/<batchId>/<name>`. */
export function quarantinedFileKey(dataset: string, partition: HourPartition, batchId: string, name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(-200) || 'input';
  return `${QUARANTINED_FILES_PREFIX}dataset=${dataset}/date=${partition.date}/${batchId}/${safe}`;
}

/** Why that file was refused, beside it. */
export function quarantinedFileReasonKey(dataset: string, partition: HourPartition, batchId: string): string {
  return `${QUARANTINED_FILES_PREFIX}dataset=${dataset}/date=${partition.date}/${batchId}/reason.json`;
}

/** The batch manifest: `raw/_manifests/dataset=<id>/date=<d>/<batchId>.json` (date of ingestion). */
export function manifestKey(dataset: string, partition: HourPartition, batchId: string): string {
  return `${MANIFEST_PREFIX}dataset=${dataset}/date=${partition.date}/${batchId}.json`;
}

/** The landing prefix of a dataset's drop zone. */
export function landingPrefix(dataset: string): string {
  return `${LANDING_PREFIX}${dataset}/`;
}

/**
 * Hours that count as late: their end is more than `lateAfterMinutes` before `ingestedAt`, so a
 * computation may already have used them and must run again.
 */
export function isLate(partition: HourPartition, ingestedAt: number, lateAfterMinutes: number): boolean {
  return partition.start + HOUR + lateAfterMinutes * 60_000 < ingestedAt;
}

/** The commit-log name of a dataset's quarantine log (never a dataset id: those have no colon). */
export function quarantineLogOf(dataset: string): string {
  return `quarantine:${dataset}`;
}
