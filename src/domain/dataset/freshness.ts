// Domain (ingest, watched): how fresh a dataset is. A dataset that declares `freshness` is expected
// to receive a committed batch every `expectedEvery`; the time since its last committed arrival
// makes it `fresh`, `warn` (past `warnAfter`) or `fail` (past `failAfter`), or `never_arrived`.
// The scheduled freshness check turns a change of level into one notice to the dataset's owner.
import { durationMillis } from '../definition/duration';
import { BATCH_ONLY_FIELDS } from '../ingest/data-quality';
import type { TypedRecord } from '../records';
import type { DatasetDeclaration, FreshnessDeclaration } from './declaration';

/** What the check says of a dataset. */
export const FRESHNESS_STATUSES = ['fresh', 'warn', 'fail', 'never_arrived'] as const;
export type FreshnessStatus = (typeof FRESHNESS_STATUSES)[number];

/** What a status means for the owner: nothing to do, a warning, a failure. */
export const FRESHNESS_LEVELS = ['ok', 'warn', 'fail'] as const;
export type FreshnessLevel = (typeof FRESHNESS_LEVELS)[number];

/** A declaration's freshness in milliseconds. */
export interface FreshnessLimits {
  readonly expectedEveryMillis: number;
  readonly warnAfterMillis: number;
  readonly failAfterMillis: number;
}

/** The limits of a validated `freshness` section. */
export function freshnessLimits(freshness: FreshnessDeclaration): FreshnessLimits {
  return {
    expectedEveryMillis: durationMillis(freshness.expectedEvery),
    warnAfterMillis: durationMillis(freshness.warnAfter),
    failAfterMillis: durationMillis(freshness.failAfter),
  };
}

export interface FreshnessAssessment {
  readonly dataset: string;
  readonly owner: string;
  readonly status: FreshnessStatus;
  readonly level: FreshnessLevel;
  /** When the last committed batch arrived (epoch ms); null when none ever did. */
  readonly lastArrivalAt: number | null;
  /**
   * How long the dataset has been silent: since its last arrival, or, when none ever arrived, since
   * the check first saw the dataset (a dataset just declared is given its `warnAfter` and `failAfter`
   * before it is said to be late).
   */
  readonly silentMillis: number;
  /** Arrivals missed: whole `expectedEvery` periods of silence beyond the first. */
  readonly missedArrivals: number;
  readonly limits: FreshnessLimits;
  /** The instant judged (epoch ms). */
  readonly checkedAt: number;
}

export interface FreshnessFacts {
  readonly lastArrivalAt: number | null;
  /** When the check first saw the dataset (epoch ms): the start of the silence of a dataset that never arrived. */
  readonly knownSince: number;
  readonly now: number;
}

/**
 * The level of a silence: `ok` up to `warnAfter` inclusive, `warn` up to `failAfter` inclusive,
 * `fail` beyond (a dataset is late only once the limit has passed).
 */
export function levelOfSilence(silentMillis: number, limits: FreshnessLimits): FreshnessLevel {
  if (silentMillis > limits.failAfterMillis) return 'fail';
  if (silentMillis > limits.warnAfterMillis) return 'warn';
  return 'ok';
}

/**
 * Judges a dataset at `facts.now`. A dataset without `freshness` is not judged (null).
 *
 * @example
 * // freshness { expectedEvery: 1h, warnAfter: 2h, failAfter: 6h }, last arrival 3 hours ago:
 * assessFreshness(declaration, { lastArrivalAt: now - 3 * HOUR, knownSince, now })
 * // { status: 'warn', level: 'warn', silentMillis: 3 * HOUR, missedArrivals: 2, ... }
 */
export function assessFreshness(declaration: DatasetDeclaration, facts: FreshnessFacts): FreshnessAssessment | null {
  if (!declaration.freshness) return null;
  const limits = freshnessLimits(declaration.freshness);
  const since = facts.lastArrivalAt ?? Math.min(facts.knownSince, facts.now);
  const silentMillis = Math.max(0, facts.now - since);
  const level = levelOfSilence(silentMillis, limits);
  const status: FreshnessStatus = facts.lastArrivalAt === null ? 'never_arrived' : level === 'ok' ? 'fresh' : level;
  return {
    dataset: declaration.id,
    owner: declaration.owner,
    status,
    level,
    lastArrivalAt: facts.lastArrivalAt,
    silentMillis,
    missedArrivals: Math.max(0, Math.floor(silentMillis / limits.expectedEveryMillis) - 1),
    limits,
    checkedAt: facts.now,
  };
}

/** A change of level the owner hears of. */
export type FreshnessTransition =
  /** ok → warn, or fail → warn (the limits were loosened). */
  | 'warned'
  /** ok or warn → fail. */
  | 'failed'
  /** warn or fail → ok: data arrived again. */
  | 'recovered';

/**
 * What the owner is told when the level goes from `previous` to `next`; null when it stays. A
 * dataset seen for the first time is taken as `ok` before, so one already late is reported at once.
 */
export function freshnessTransition(previous: FreshnessLevel | null, next: FreshnessLevel): FreshnessTransition | null {
  const before = previous ?? 'ok';
  if (before === next) return null;
  if (next === 'ok') return 'recovered';
  return next === 'fail' ? 'failed' : 'warned';
}

/** A notice to a dataset's owner, as text. */
export interface FreshnessNoticeText {
  /** One line, ASCII, under 100 characters (an email subject). */
  readonly subject: string;
  readonly body: string;
}

const MINUTE = 60_000;

/** `3h 20m`, `2d 4h`, `45m`, `30s`: a duration the way a person reads it. */
export function humanDuration(millis: number): string {
  const minutes = Math.floor(millis / MINUTE);
  if (minutes < 1) return `${Math.floor(millis / 1000)}s`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return rest > 0 ? `${hours}h ${rest}m` : `${hours}h`;
  return `${rest}m`;
}

/** The notice of a transition, for the dataset's owner. */
export function freshnessNotice(
  assessment: FreshnessAssessment,
  transition: FreshnessTransition,
  declaration: Pick<DatasetDeclaration, 'freshness'>,
): FreshnessNoticeText {
  const { dataset } = assessment;
  const at = new Date(assessment.checkedAt).toISOString();
  const last =
    assessment.lastArrivalAt === null
      ? `No batch of ${dataset} has ever been committed (the check has watched it for ${humanDuration(assessment.silentMillis)}).`
      : `Its last batch was committed at ${new Date(assessment.lastArrivalAt).toISOString()}, ${humanDuration(assessment.silentMillis)} before ${at}.`;
  const declared = declaration.freshness
    ? `Declared freshness: expected every ${declaration.freshness.expectedEvery}, warn after ${declaration.freshness.warnAfter}, fail after ${declaration.freshness.failAfter}.`
    : '';
  const subjects: Record<FreshnessTransition, string> = {
    warned: `[warn] ${dataset} is late: no data for ${humanDuration(assessment.silentMillis)}`,
    failed: `[fail] ${dataset} stopped arriving: no data for ${humanDuration(assessment.silentMillis)}`,
    recovered: `[recovered] ${dataset} is arriving again`,
  };
  const leads: Record<FreshnessTransition, string> = {
    warned: `Dataset ${dataset} is late (status ${assessment.status}): ${assessment.missedArrivals} expected arrival(s) missed.`,
    failed: `Dataset ${dataset} has stopped arriving (status ${assessment.status}): ${assessment.missedArrivals} expected arrival(s) missed. The KPIs that read it are computed on what is there and may be wrong.`,
    recovered: `Dataset ${dataset} is fresh again.`,
  };
  const action =
    transition === 'recovered'
      ? 'Nothing to do. The KPIs reading it are refreshed on their schedules; hours that received late data are recomputed.'
      : 'Check the source system and its export or connector (landing files, API credentials, agent pushes), then the ingestion dead-letter queue. You will hear again when it recovers or gets worse.';
  return {
    subject: subjects[transition].replace(/[^\x20-\x7e]/g, '?').slice(0, 99),
    body: [
      leads[transition],
      last,
      declared,
      action,
      `You receive this as the owner of ${dataset} (${assessment.owner}).`,
    ]
      .filter((line) => line !== '')
      .join('\n\n'),
  };
}

/** The `record_type` of freshness records in the `pipeline_ingest` dataset. */
export const FRESHNESS_RECORD_TYPE = 'freshness';

/**
 * The `pipeline_ingest` record of one dataset's assessment: what the freshness KPIs count, per
 * dataset (`dataset_freshness` is the share of checks that found the dataset fresh).
 */
export function freshnessRecord(assessment: FreshnessAssessment, checkId: string): TypedRecord {
  const seconds = (millis: number) => millis / 1000;
  return {
    record_type: FRESHNESS_RECORD_TYPE,
    batch_id: checkId,
    dataset: assessment.dataset,
    connector: 'pipeline',
    source: 'freshness-check',
    outcome: 'ingested',
    ingested_at: assessment.checkedAt,
    reason: assessment.status,
    ...BATCH_ONLY_FIELDS,
    rows_quarantined: null,
    freshness_status: assessment.status,
    last_arrival_at: assessment.lastArrivalAt,
    silence_seconds: seconds(assessment.silentMillis),
    warn_after_seconds: seconds(assessment.limits.warnAfterMillis),
    fail_after_seconds: seconds(assessment.limits.failAfterMillis),
  };
}
