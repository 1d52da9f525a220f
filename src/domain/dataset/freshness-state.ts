// Domain (ingest, watched): what the freshness check keeps per dataset between runs: the level the
// owner was last told of, since when, and the notice of a change while it is being sent (so that a
// run that dies after claiming it is finished by the next one, and no run sends it twice).
import * as z from 'zod';
import { FRESHNESS_LEVELS, FRESHNESS_STATUSES } from './freshness';

export const freshnessNoticeSchema = z.object({
  /** `<dataset>#<sequence>`: the same on every attempt to send it. */
  id: z.string(),
  transition: z.enum(['warned', 'failed', 'recovered']),
  from: z.enum(FRESHNESS_LEVELS),
  to: z.enum(FRESHNESS_LEVELS),
  status: z.enum(FRESHNESS_STATUSES),
  subject: z.string(),
  body: z.string(),
  /** `pending` from the claim until the message is published, then `sent`. */
  delivery: z.enum(['pending', 'sent']),
  /** Wall-clock time of the claim (epoch ms); 0 after a failed send, so the next run sends it at once. */
  claimedAt: z.number(),
});
export type FreshnessNoticeState = z.infer<typeof freshnessNoticeSchema>;

export const freshnessStateSchema = z.object({
  dataset: z.string(),
  owner: z.string(),
  level: z.enum(FRESHNESS_LEVELS),
  status: z.enum(FRESHNESS_STATUSES),
  /** When the dataset entered `level` (epoch ms, check time). */
  since: z.number(),
  /** When the check first saw the dataset. */
  knownSince: z.number(),
  /** The check time of the last run that judged it: an older run (a late retry) changes nothing. */
  checkedAt: z.number(),
  lastArrivalAt: z.number().nullable(),
  /** Notices made so far. */
  sequence: z.number().int().min(0),
  /** The latest notice. */
  notice: freshnessNoticeSchema.nullable(),
  /** Optimistic-locking counter: 1 for the first write. */
  stamp: z.number().int().min(1),
});
export type FreshnessState = z.infer<typeof freshnessStateSchema>;
