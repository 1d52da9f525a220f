// Domain (review): drift review cases. A drift on a KPI opens one case per drift episode (a run of
// drifting periods, short pauses included), not one per period. The case carries the checklist a
// reviewer works through (the data quality of the KPI's inputs over the drifting periods, the
// annotations in the window) and closes with one of the decision options, recorded.
import * as z from 'zod';
import type { Grain } from '../definition/schema';
import { shiftPeriod } from '../engine/time';
import type { TypedRecord } from '../records';
import { DRIFT_DECISIONS } from './wording';

const utcInstant = z.iso.datetime({ offset: false });

export { DRIFT_DECISION_LABELS, DRIFT_DECISIONS, type DriftDecision } from './wording';

/** The data quality of one input dataset of the KPI over the drifting periods (from `pipeline_ingest`). */
export const inputQualitySchema = z.object({
  dataset: z.string(),
  batches: z.number().int().nonnegative(),
  rowsReceived: z.number().int().nonnegative(),
  rowsQuarantined: z.number().int().nonnegative(),
  /** rowsQuarantined / rowsReceived; null when nothing was received. */
  quarantineRate: z.number().nullable(),
  quarantinedByReason: z.record(z.string(), z.number().int().nonnegative()),
  /** Valid rows over rows received (shape and type conformity); null when nothing was received. */
  schemaConformity: z.number().nullable(),
  /** The stalest batch: minutes from its newest event to its ingestion. */
  worstFreshnessMinutes: z.number().nullable(),
  /** Batches that landed later than the freshness limit. */
  freshnessBreaches: z.number().int().nonnegative(),
});
export type InputQuality = z.infer<typeof inputQualitySchema>;

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * The data quality of one dataset's batches ingested in `[from, to)`, from the `pipeline_ingest`
 * records of ingestion (a `batch` record per batch, a `quarantine_reason` record per reason).
 */
export function inputQualityOf(
  records: readonly TypedRecord[],
  dataset: string,
  range: { readonly from: number; readonly to: number },
  freshnessMinutes: number,
): InputQuality {
  let batches = 0;
  let received = 0;
  let valid = 0;
  let quarantined = 0;
  let worst: number | null = null;
  let breaches = 0;
  const byReason: Record<string, number> = {};
  for (const r of records) {
    const at = count(r.ingested_at);
    if (r.dataset !== dataset || at < range.from || at >= range.to) continue;
    if (r.record_type === 'batch') {
      batches += 1;
      received += count(r.rows_received);
      valid += count(r.rows_valid);
      quarantined += count(r.rows_quarantined);
      if (typeof r.freshness_lag_seconds === 'number') {
        const minutes = Math.round((r.freshness_lag_seconds / 60) * 10) / 10;
        worst = worst === null ? minutes : Math.max(worst, minutes);
        if (minutes > freshnessMinutes) breaches += 1;
      }
    } else if (r.record_type === 'quarantine_reason' && typeof r.reason === 'string') {
      byReason[r.reason] = (byReason[r.reason] ?? 0) + count(r.rows_quarantined);
    }
  }
  return {
    dataset,
    batches,
    rowsReceived: received,
    rowsQuarantined: quarantined,
    quarantineRate: received > 0 ? quarantined / received : null,
    quarantinedByReason: Object.fromEntries(Object.entries(byReason).sort(([a], [b]) => a.localeCompare(b))),
    schemaConformity: received > 0 ? valid / received : null,
    worstFreshnessMinutes: worst,
    freshnessBreaches: breaches,
  };
}

export const driftCaseSchema = z.object({
  /** `<kpiId>/<first drifting period start>`: one case per KPI and episode. */
  caseId: z.string().min(1),
  kpiId: z.string().min(1),
  kpiName: z.string(),
  grain: z.string(),
  /** Starts of the first and of the last drifting period. */
  firstPeriod: utcInstant,
  lastPeriod: utcInstant,
  /** Drifting periods in the episode. */
  periods: z.number().int().positive(),
  direction: z.enum(['up', 'down']).nullable(),
  /** What the detector said about the last drifting period. */
  message: z.string(),
  openedAt: utcInstant,
  /** The pack that opened it. */
  openedIn: z.string(),
  status: z.enum(['open', 'closed']),
  checklist: z.object({
    inputs: z.array(inputQualitySchema),
    annotations: z.array(
      z.object({
        id: z.string(),
        label: z.string(),
        from: utcInstant,
        to: utcInstant,
        effect: z.enum(['suppress', 'explain']),
      }),
    ),
  }),
  decision: z
    .object({
      option: z.enum(DRIFT_DECISIONS),
      note: z.string().max(1000).nullable(),
      by: z.email(),
      at: utcInstant,
      /** The pack on whose page it was decided. */
      reviewId: z.string(),
    })
    .nullable(),
});
export type DriftCase = z.infer<typeof driftCaseSchema>;

/** One period of a KPI's overall series, as episode detection reads it. */
export interface DriftPoint {
  readonly periodStart: number;
  readonly drifting: boolean;
  readonly direction: 'up' | 'down' | null;
  readonly message: string;
}

/** A run of drifting periods. */
export interface DriftEpisode {
  readonly first: number;
  readonly last: number;
  readonly periods: number;
  readonly direction: 'up' | 'down' | null;
  readonly message: string;
}

/** Non-drifting periods that may separate two drifting ones of the same episode. */
export const EPISODE_GAP_PERIODS = 2;

/** The drift episodes of a series (any order), oldest first. */
export function driftEpisodes(
  points: readonly DriftPoint[],
  grain: Grain,
  gap: number = EPISODE_GAP_PERIODS,
): DriftEpisode[] {
  const drifting = points.filter((p) => p.drifting).sort((a, b) => a.periodStart - b.periodStart);
  const episodes: DriftEpisode[] = [];
  for (const point of drifting) {
    const current = episodes.at(-1);
    if (current && point.periodStart <= shiftPeriod(grain, current.last, gap + 1)) {
      episodes[episodes.length - 1] = {
        ...current,
        last: point.periodStart,
        periods: current.periods + 1,
        direction: point.direction ?? current.direction,
        message: point.message,
      };
    } else {
      episodes.push({
        first: point.periodStart,
        last: point.periodStart,
        periods: 1,
        direction: point.direction,
        message: point.message,
      });
    }
  }
  return episodes;
}

/** An open case whose episode went on: its new last period and the drifting periods added since. */
export interface CaseExtension {
  readonly driftCase: DriftCase;
  readonly last: number;
  readonly added: number;
  readonly direction: 'up' | 'down' | null;
  readonly message: string;
}

/** What a KPI's drifting periods do to its cases. */
export interface CaseReconciliation {
  /** Episodes no case covers: each opens a case. */
  readonly toOpen: readonly DriftEpisode[];
  /** Open cases whose episode went on. */
  readonly toExtend: readonly CaseExtension[];
}

/**
 * Matches a KPI's drift episodes against its cases. An episode continues a case when it starts no
 * later than `gap` periods after the case's last drifting period and ends no earlier than the case's
 * first: an open case grows by the drifting periods after its last one; a closed case was decided
 * (nothing new); an episode no case covers is new and opens one.
 */
export function reconcileDriftCases(
  cases: readonly DriftCase[],
  points: readonly DriftPoint[],
  grain: Grain,
  gap: number = EPISODE_GAP_PERIODS,
): CaseReconciliation {
  const toOpen: DriftEpisode[] = [];
  const toExtend: CaseExtension[] = [];
  for (const episode of driftEpisodes(points, grain, gap)) {
    const continued = cases.find((c) => {
      const first = Date.parse(c.firstPeriod);
      const last = Date.parse(c.lastPeriod);
      return episode.first <= shiftPeriod(grain, last, gap + 1) && episode.last >= first;
    });
    if (!continued) {
      toOpen.push(episode);
      continue;
    }
    const last = Date.parse(continued.lastPeriod);
    const added = points.filter((p) => p.drifting && p.periodStart > last && p.periodStart <= episode.last).length;
    if (continued.status === 'open' && added > 0) {
      toExtend.push({
        driftCase: continued,
        last: episode.last,
        added,
        direction: episode.direction,
        message: episode.message,
      });
    }
  }
  return { toOpen, toExtend };
}

/** The id of the case of a KPI's episode. */
export function driftCaseId(kpiId: string, episode: Pick<DriftEpisode, 'first'>): string {
  return `${kpiId}/${new Date(episode.first).toISOString()}`;
}
