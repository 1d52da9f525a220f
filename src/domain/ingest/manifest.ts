// Domain: the batch manifest, written once every object of a batch is in place and before the batch
// is committed. It is the batch's lineage (what was read, with checksums; what was written, with
// counts and checksums; which code and which declaration did it) and its plan: the commit makes its
// objects visible day by day in the commit log (commit-log.ts), and a run that dies during the commit
// resumes from the manifest. A manifest alone makes nothing visible.
import * as z from 'zod';

/**
 * `replay`: quarantined rows read again under a newer declaration (`kpi replay`); `pipeline`: records
 * a stage of the pipeline writes itself (the guardrail stage's governance records, an import).
 */
export const CONNECTORS = ['drop_zone', 'http', 'push', 'replay', 'pipeline'] as const;
export type Connector = (typeof CONNECTORS)[number];

/** What happened to a batch. */
export const BATCH_OUTCOMES = ['ingested', 'unreadable', 'rejected', 'too_large'] as const;
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number];

const countsSchema = z.object({
  /** Rows read: always valid + quarantined + duplicate. */
  read: z.number().int().min(0),
  /** Rows stored in raw. */
  valid: z.number().int().min(0),
  quarantined: z.number().int().min(0),
  /** Rows dropped because a row with the same key was already ingested (keyed datasets). */
  duplicate: z.number().int().min(0),
  quarantinedByReason: z.record(z.string(), z.number().int().min(0)),
});

/** One input the batch read: an S3 object version, an API page, a request body. */
export const sourceInputSchema = z.object({
  uri: z.string(),
  /** S3 version id or ETag, when the source has one. */
  version: z.string().optional(),
  bytes: z.number().int().min(0),
  sha256: z.string(),
});

/** One object the batch wrote. */
export const writtenObjectSchema = z.object({
  /** `raw` (records), `quarantine` (rejected rows), `quarantined_file`, `data_quality` (pipeline_ingest records), `key_index`. */
  kind: z.enum(['raw', 'quarantine', 'quarantined_file', 'data_quality', 'key_index']),
  bucket: z.string(),
  key: z.string(),
  /** For one gzip member of an object (an hour of a small day): where it starts, in bytes. */
  offset: z.number().int().min(0).optional(),
  /** For a member: the start of its event hour, epoch ms (the key names the day only). */
  hour: z.number().optional(),
  dataset: z.string(),
  records: z.number().int().min(0),
  /** Bytes as stored (compressed): the member's, for a member. */
  bytes: z.number().int().min(0),
  /** SHA-256 of the object's bytes as stored (compressed): the member's, for a member. */
  sha256: z.string(),
  /** Event-time range of the records, epoch ms; null for quarantine objects. */
  minEventTime: z.number().nullable(),
  maxEventTime: z.number().nullable(),
});

/** A file-level warning of the reader (a renamed or missing optional column, say). */
export const readWarningSchema = z.object({
  code: z.string(),
  field: z.string().nullable().optional(),
  column: z.string().nullable().optional(),
  message: z.string(),
});

/** What a batch did on one day of event time. */
export const batchDaySchema = z.object({
  date: z.string(),
  /** Version of the day's commit log the batch's duplicates were decided against. */
  snapshotVersion: z.number().int().min(0),
  records: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  /** Its key index object, for a keyed dataset. */
  keysKey: z.string().nullable(),
});

export const batchManifestSchema = z.object({
  manifestVersion: z.literal(2),
  batchId: z.string(),
  dataset: z.string(),
  connector: z.enum(CONNECTORS),
  outcome: z.enum(BATCH_OUTCOMES),
  /** Reason code and sentence when the batch was not ingested. */
  problem: z.object({ code: z.string(), reason: z.string() }).nullable(),
  /** SHA-256 over the content read, decompressed (each part's SHA-256 in order): the batch's identity. */
  contentSha256: z.string(),
  /** The logical file a `replace` dataset's batch stands for, its revision, and the batches it supersedes. */
  replaces: z
    .object({ source: z.string(), revision: z.number().int().min(1), supersedes: z.array(z.string()) })
    .nullable(),
  /** First claim of the batch, epoch ms: the ingestion time, the same on every attempt. */
  ingestedAt: z.number(),
  /** When this manifest was written (the objects were all in place). */
  completedAt: z.number(),
  attempt: z.number().int().min(1),
  codeVersion: z.string(),
  /** SHA-256 of the declaration (canonical JSON) the batch was mapped with. */
  declarationSha256: z.string(),
  /** The published version of that declaration (`kpi dataset publish`); null for the one the deployment ships. */
  declarationVersion: z.number().int().min(1).nullable().default(null),
  /** For a replay of quarantined rows: the batches whose quarantined rows it read again. */
  replayOf: z.array(z.string()).default([]),
  sources: z.array(sourceInputSchema),
  counts: countsSchema,
  warnings: z.array(readWarningSchema),
  newestEventTime: z.number().nullable(),
  oldestEventTime: z.number().nullable(),
  /** Hours that received late records (or lost superseded ones) and were marked for recomputation. */
  latePartitions: z.array(z.object({ date: z.string(), hour: z.string(), records: z.number().int() })),
  days: z.array(batchDaySchema),
  objects: z.array(writtenObjectSchema),
});

export type BatchManifest = z.infer<typeof batchManifestSchema>;
export type WrittenObject = z.infer<typeof writtenObjectSchema>;
export type SourceInput = z.infer<typeof sourceInputSchema>;
export type BatchDay = z.infer<typeof batchDaySchema>;
export type ReadWarning = z.infer<typeof readWarningSchema>;
export type BatchCounts = z.infer<typeof countsSchema>;
