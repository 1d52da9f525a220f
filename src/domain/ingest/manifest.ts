// Domain: the batch manifest, written last, once every object of a batch is in place. It is the
// batch's lineage (what was read, with checksums; what was written, with counts and checksums;
// which code and which declaration did it) and the commit mark: objects that no manifest lists
// are leftovers of an attempt that crashed, and a rerun of that batch rewrites them.
import * as z from 'zod';

export const CONNECTORS = ['drop_zone', 'http', 'push'] as const;
export type Connector = (typeof CONNECTORS)[number];

/** What happened to a batch. */
export const BATCH_OUTCOMES = ['ingested', 'unreadable', 'rejected'] as const;
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number];

const countsSchema = z.object({
  read: z.number().int().min(0),
  valid: z.number().int().min(0),
  quarantined: z.number().int().min(0),
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
  /** `raw` (records), `quarantine` (rejected rows), `quarantined_file`, `data_quality` (pipeline_ingest records). */
  kind: z.enum(['raw', 'quarantine', 'quarantined_file', 'data_quality']),
  bucket: z.string(),
  key: z.string(),
  dataset: z.string(),
  records: z.number().int().min(0),
  bytes: z.number().int().min(0),
  /** SHA-256 of the object's bytes as stored (compressed). */
  sha256: z.string(),
  /** Event-time range of the records, epoch ms; null for quarantine objects. */
  minEventTime: z.number().nullable(),
  maxEventTime: z.number().nullable(),
});

export const batchManifestSchema = z.object({
  manifestVersion: z.literal(1),
  batchId: z.string(),
  dataset: z.string(),
  connector: z.enum(CONNECTORS),
  outcome: z.enum(BATCH_OUTCOMES),
  /** Reason code and sentence when the batch was not ingested. */
  problem: z.object({ code: z.string(), reason: z.string() }).nullable(),
  /** First claim of the batch, epoch ms: the ingestion time, the same on every attempt. */
  ingestedAt: z.number(),
  completedAt: z.number(),
  attempt: z.number().int().min(1),
  codeVersion: z.string(),
  /** SHA-256 of the declaration (canonical JSON) the batch was mapped with. */
  declarationSha256: z.string(),
  sources: z.array(sourceInputSchema),
  counts: countsSchema,
  newestEventTime: z.number().nullable(),
  oldestEventTime: z.number().nullable(),
  /** Hours that received late records and were marked for recomputation. */
  latePartitions: z.array(z.object({ date: z.string(), hour: z.string(), records: z.number().int() })),
  objects: z.array(writtenObjectSchema),
});

export type BatchManifest = z.infer<typeof batchManifestSchema>;
export type WrittenObject = z.infer<typeof writtenObjectSchema>;
export type SourceInput = z.infer<typeof sourceInputSchema>;
