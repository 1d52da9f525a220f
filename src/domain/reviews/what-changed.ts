// Domain (review): what changed since the previous pack. Pure: it reads what the builder gathered
// from the stores (KPI series with their restatements, the definitions' change log, the audit
// trail, the data-quality records of ingestion, the action items) and says, for people:
// - over the reviewed period: status transitions since the previous pack's scorecard, new reds,
//   new drifts, KPIs newly at risk (with the forecast's probability of red and its horizon);
// - over the change window (from the previous pack to this one): restatements with their old and
//   new values and why, definition versions published, rolled back or retired with their impact,
//   approvals asked and decided, autonomy changes, data-quality incidents (freshness breaches,
//   quarantine spikes by reason), and the calibration proposals open or decided (proposals.ts).
import * as z from 'zod';
import type { AuditEvent } from '../guardrails/audit';
import type { TypedRecord } from '../records';
import { dimensionKey } from '../values/dimension-key';
import type { Restatement, StoredKpiValue } from '../values/restatement';
import { VALUE_STATUSES } from '../values/value-statuses';
import type { ChangeLogEntry } from '../versioning/definition-versions';
import { describeChanges, type SemanticDiff } from '../versioning/semantic-diff';
import type { ReviewPeriod } from './kinds';
import { type PackedProposal, packedProposalSchema } from './proposals';
import { horizonOf, type ReviewedKpiSummary, type ScorecardEntry, scorecardEntry } from './scorecard';

const iso = z.string();
const status = z.enum(VALUE_STATUSES);
const restatedSide = z.object({ value: z.number().nullable(), status, definitionVersion: z.number().int() });

export const whatChangedSchema = z.object({
  statusTransitions: z.array(
    z.object({
      kpiId: z.string(),
      name: z.string(),
      from: status.nullable(),
      to: status.nullable(),
      fromPeriod: iso.nullable(),
      toPeriod: iso.nullable(),
      /** For a move to at_risk: the forecast's probability of red, and its horizon's last period. */
      redProbability: z.number().min(0).max(1).nullable().default(null),
      horizon: iso.nullable().default(null),
    }),
  ),
  newReds: z.array(
    z.object({
      kpiId: z.string(),
      name: z.string(),
      firstPeriod: iso,
      periods: z.number().int().positive(),
      value: z.number().nullable(),
    }),
  ),
  /** KPIs with at_risk periods in the reviewed period that the previous pack did not show at risk. */
  newAtRisks: z
    .array(
      z.object({
        kpiId: z.string(),
        name: z.string(),
        firstPeriod: iso,
        periods: z.number().int().positive(),
        /** The latest at-risk period's value, its probability of red and the horizon it is about. */
        value: z.number().nullable(),
        redProbability: z.number().min(0).max(1).nullable(),
        horizon: iso.nullable(),
      }),
    )
    .default([]),
  newDrifts: z.array(
    z.object({
      kpiId: z.string(),
      name: z.string(),
      firstPeriod: iso,
      periods: z.number().int().positive(),
      direction: z.enum(['up', 'down']).nullable(),
      message: z.string(),
    }),
  ),
  restatements: z.array(
    z.object({
      kpiId: z.string(),
      name: z.string(),
      grain: z.string(),
      periodStart: iso,
      /** `*` for the overall row. */
      dimensions: z.string(),
      previous: restatedSide,
      current: restatedSide,
      cause: z.enum(['definition_change', 'input_change', 'code_change']),
      why: z.string(),
      restatedAt: iso,
    }),
  ),
  definitionChanges: z.array(
    z.object({
      kpiId: z.string(),
      action: z.enum(['publish', 'rollback', 'retire']),
      fromVersion: z.number().int().nullable(),
      toVersion: z.number().int(),
      author: z.string(),
      reason: z.string(),
      at: iso,
      /** The semantic diff against the version in force before, one line per change. */
      diff: z.array(z.string()),
      impact: z.string().nullable(),
      requiresRecompute: z.boolean(),
      /** Values restated because of it (final values whose value or status changed). */
      restated: z.number().int().nonnegative(),
    }),
  ),
  approvals: z.array(
    z.object({
      event: z.enum(['asked', 'escalated', 'decided', 'expired', 'failed']),
      at: iso,
      approvalId: z.string().nullable(),
      kpiId: z.string().nullable(),
      subject: z.string().nullable(),
      levelOfDecision: z.string().nullable(),
      decision: z.string().nullable(),
      approver: z.string().nullable(),
      /** For decisions: the agent went on acting on its own (a false alarm of the guardrail). */
      agentContinued: z.boolean().nullable(),
      latencyMinutes: z.number().nullable(),
    }),
  ),
  autonomyChanges: z.array(
    z.object({
      at: iso,
      subject: z.string().nullable(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      actor: z.string(),
      reason: z.string().nullable(),
    }),
  ),
  dataQuality: z.object({
    freshnessLimitMinutes: z.number(),
    freshnessBreaches: z.array(
      z.object({
        dataset: z.string(),
        batches: z.number().int().positive(),
        worstLagMinutes: z.number(),
        firstAt: iso,
        lastAt: iso,
      }),
    ),
    quarantineSpikes: z.array(
      z.object({
        dataset: z.string(),
        reason: z.string(),
        rows: z.number().int(),
        rate: z.number(),
        baselineRows: z.number().int(),
        baselineRate: z.number().nullable(),
      }),
    ),
  }),
  /** Calibration proposals of the pack's KPIs: open when it was built, or decided in the window. */
  proposals: z.array(packedProposalSchema).default([]),
});
export type WhatChanged = z.infer<typeof whatChangedSchema>;

/** A KPI and its overall series (the row with no dimension), oldest first, over the pack's chart window. */
export interface ReviewedKpi {
  readonly kpi: ReviewedKpiSummary;
  readonly series: readonly StoredKpiValue[];
}

/** When a batch counts as a freshness breach, and what makes a quarantine spike. */
export interface DataQualityLimits {
  /** A batch whose newest event is older than this when it lands breaches freshness. @default 60 */
  readonly freshnessMinutes: number;
  /** A reason's quarantine rate at least this many times its rate in the window before is a spike. @default 2 */
  readonly spikeFactor: number;
  /** Fewer quarantined rows than this is no spike, whatever the rate. @default 20 */
  readonly spikeMinRows: number;
}

export const DEFAULT_DATA_QUALITY_LIMITS: DataQualityLimits = {
  freshnessMinutes: 60,
  spikeFactor: 2,
  spikeMinRows: 20,
};

export interface WhatChangedInput {
  readonly period: ReviewPeriod;
  /** `[from, to)`: from the previous pack's cut-off (or the period's start) to this pack's. */
  readonly window: { readonly from: number; readonly to: number };
  readonly kpis: readonly ReviewedKpi[];
  /** The scorecard of the previous pack; null when there is none (the stores say what it was). */
  readonly previousScorecard: readonly ScorecardEntry[] | null;
  /** Changes of the change log in the window, each with its semantic diff against the version before. */
  readonly definitionChanges: readonly { readonly change: ChangeLogEntry; readonly diff: SemanticDiff | null }[];
  /** Audit events in the window. */
  readonly governance: readonly AuditEvent[];
  /** `pipeline_ingest` records ingested in the window, and in the window of the same length before it. */
  readonly ingest: readonly TypedRecord[];
  readonly ingestBefore: readonly TypedRecord[];
  readonly limits?: DataQualityLimits;
  /** The pack's proposals (proposalsForPack). @default none */
  readonly proposals?: readonly PackedProposal[];
}

const byKpiThen = <T extends { kpiId: string }>(a: T, b: T) => (a.kpiId < b.kpiId ? -1 : a.kpiId > b.kpiId ? 1 : 0);
const isoOf = (ms: number) => new Date(ms).toISOString();

function inPeriod(value: StoredKpiValue, period: ReviewPeriod): boolean {
  const start = Date.parse(value.periodStart);
  return start >= period.start && start < period.end;
}

/** Why a value was restated, for people. */
export function restatementReason(restatement: Restatement): string {
  switch (restatement.cause) {
    case 'definition_change':
      return restatement.previous.definitionVersion === restatement.current.definitionVersion
        ? `definition v${restatement.current.definitionVersion} changed`
        : `definition v${restatement.previous.definitionVersion} → v${restatement.current.definitionVersion}`;
    case 'input_change':
      return 'late or corrected input data';
    case 'code_change':
      return 'a new code version, same definition and inputs';
  }
}

function statusSection(input: WhatChangedInput, current: readonly ScorecardEntry[], before: readonly ScorecardEntry[]) {
  const previousOf = new Map(before.map((e) => [e.kpiId, e]));
  const statusTransitions: WhatChanged['statusTransitions'] = [];
  const newReds: WhatChanged['newReds'] = [];
  const newDrifts: WhatChanged['newDrifts'] = [];
  const newAtRisks: WhatChanged['newAtRisks'] = [];
  for (const { kpi, series } of input.kpis) {
    const now = current.find((e) => e.kpiId === kpi.id);
    const then = previousOf.get(kpi.id);
    if (now && (then?.status ?? null) !== now.status) {
      statusTransitions.push({
        kpiId: kpi.id,
        name: kpi.name,
        from: then?.status ?? null,
        to: now.status,
        fromPeriod: then?.periodStart ?? null,
        toPeriod: now.periodStart,
        redProbability: now.status === 'at_risk' ? now.redProbability : null,
        horizon: now.status === 'at_risk' ? now.horizon : null,
      });
    }
    const reviewed = series.filter((v) => inPeriod(v, input.period));
    const reds = reviewed.filter((v) => v.status === 'red');
    if (reds.length > 0 && then?.status !== 'red') {
      newReds.push({
        kpiId: kpi.id,
        name: kpi.name,
        firstPeriod: reds[0]?.periodStart ?? '',
        periods: reds.length,
        value: reds.at(-1)?.value ?? null,
      });
    }
    const atRisk = reviewed.filter((v) => v.status === 'at_risk');
    const lastAtRisk = atRisk.at(-1);
    if (lastAtRisk && then?.status !== 'at_risk') {
      newAtRisks.push({
        kpiId: kpi.id,
        name: kpi.name,
        firstPeriod: atRisk[0]?.periodStart ?? '',
        periods: atRisk.length,
        value: lastAtRisk.value,
        redProbability: lastAtRisk.forecast?.probabilityRed ?? null,
        horizon: horizonOf(lastAtRisk),
      });
    }
    const drifts = reviewed.filter((v) => v.drift?.verdict === 'drift');
    if (drifts.length > 0 && !then?.drifting) {
      const last = drifts.at(-1);
      newDrifts.push({
        kpiId: kpi.id,
        name: kpi.name,
        firstPeriod: drifts[0]?.periodStart ?? '',
        periods: drifts.length,
        direction: last?.drift?.signals[0]?.direction ?? null,
        message: last?.drift?.message ?? '',
      });
    }
  }
  return { statusTransitions, newReds, newAtRisks, newDrifts };
}

function restatementSection(input: WhatChangedInput): WhatChanged['restatements'] {
  const { from, to } = input.window;
  const rows: WhatChanged['restatements'] = [];
  for (const { kpi, series } of input.kpis) {
    for (const value of series) {
      for (const r of value.restatements) {
        const at = Date.parse(r.restatedAt);
        if (at < from || at >= to) continue;
        rows.push({
          kpiId: kpi.id,
          name: kpi.name,
          grain: r.grain,
          periodStart: r.periodStart,
          dimensions: dimensionKey(r.dimensions),
          previous: {
            value: r.previous.value,
            status: r.previous.status,
            definitionVersion: r.previous.definitionVersion,
          },
          current: { value: r.current.value, status: r.current.status, definitionVersion: r.current.definitionVersion },
          cause: r.cause,
          why: restatementReason(r),
          restatedAt: r.restatedAt,
        });
      }
    }
  }
  return rows.sort((a, b) => byKpiThen(a, b) || a.periodStart.localeCompare(b.periodStart));
}

function definitionSection(
  input: WhatChangedInput,
  restatements: WhatChanged['restatements'],
): WhatChanged['definitionChanges'] {
  const { from, to } = input.window;
  return input.definitionChanges
    .filter(({ change }) => change.at >= from && change.at < to)
    .map(({ change, diff }) => ({
      kpiId: change.id,
      action: change.action,
      fromVersion: change.fromVersion,
      toVersion: change.toVersion,
      author: change.author,
      reason: change.reason,
      at: isoOf(change.at),
      diff: diff ? describeChanges(diff) : [],
      impact: diff?.impact ?? null,
      requiresRecompute: diff?.requiresRecompute ?? false,
      restated:
        change.action === 'retire'
          ? 0
          : restatements.filter(
              (r) =>
                r.kpiId === change.id &&
                r.cause === 'definition_change' &&
                r.current.definitionVersion === change.toVersion &&
                Date.parse(r.restatedAt) >= change.at,
            ).length,
    }))
    .sort((a, b) => a.at.localeCompare(b.at) || byKpiThen(a, b));
}

const APPROVAL_EVENTS: Partial<Record<AuditEvent['type'], WhatChanged['approvals'][number]['event']>> = {
  approval_requested: 'asked',
  escalated: 'escalated',
  decision_recorded: 'decided',
  safe_default_applied: 'expired',
  workflow_failed: 'failed',
};

function governanceSection(input: WhatChangedInput) {
  const approvals: WhatChanged['approvals'] = [];
  const autonomyChanges: WhatChanged['autonomyChanges'] = [];
  for (const e of input.governance) {
    const event = APPROVAL_EVENTS[e.type];
    if (event) {
      approvals.push({
        event,
        at: e.occurredAt,
        approvalId: e.approvalId,
        kpiId: e.kpiId,
        subject: e.subject,
        levelOfDecision: e.levelOfDecision,
        decision: e.decision,
        approver: e.type === 'decision_recorded' ? e.actor.replace(/^approver:/, '') : null,
        agentContinued: e.type === 'decision_recorded' ? e.agentContinued : null,
        latencyMinutes: e.latencyMs === null ? null : Math.round(e.latencyMs / 600) / 100,
      });
    } else if (e.type === 'autonomy_changed' && e.fromMode !== e.toMode) {
      autonomyChanges.push({
        at: e.occurredAt,
        subject: e.subject,
        from: e.fromMode,
        to: e.toMode,
        actor: e.actor,
        reason: e.reason,
      });
    }
  }
  const byTime = <T extends { at: string }>(a: T, b: T) => a.at.localeCompare(b.at);
  return { approvals: approvals.sort(byTime), autonomyChanges: autonomyChanges.sort(byTime) };
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Rows received, and rows quarantined per reason, per dataset. */
function quarantineTotals(records: readonly TypedRecord[]) {
  const received = new Map<string, number>();
  const byReason = new Map<string, number>();
  for (const r of records) {
    const dataset = String(r.dataset);
    if (r.record_type === 'batch') received.set(dataset, (received.get(dataset) ?? 0) + num(r.rows_received));
    else if (r.record_type === 'quarantine_reason') {
      const key = `${dataset}\u0000${String(r.reason)}`;
      byReason.set(key, (byReason.get(key) ?? 0) + num(r.rows_quarantined));
    }
  }
  return { received, byReason };
}

function dataQualitySection(input: WhatChangedInput): WhatChanged['dataQuality'] {
  const limits = input.limits ?? DEFAULT_DATA_QUALITY_LIMITS;
  const breaches = new Map<string, WhatChanged['dataQuality']['freshnessBreaches'][number]>();
  for (const r of input.ingest) {
    if (r.record_type !== 'batch' || typeof r.freshness_lag_seconds !== 'number') continue;
    const lagMinutes = r.freshness_lag_seconds / 60;
    if (lagMinutes <= limits.freshnessMinutes) continue;
    const dataset = String(r.dataset);
    const at = isoOf(num(r.ingested_at));
    const seen = breaches.get(dataset);
    breaches.set(dataset, {
      dataset,
      batches: (seen?.batches ?? 0) + 1,
      worstLagMinutes: Math.max(seen?.worstLagMinutes ?? 0, Math.round(lagMinutes * 10) / 10),
      firstAt: seen && seen.firstAt < at ? seen.firstAt : at,
      lastAt: seen && seen.lastAt > at ? seen.lastAt : at,
    });
  }
  const now = quarantineTotals(input.ingest);
  const before = quarantineTotals(input.ingestBefore);
  const spikes: WhatChanged['dataQuality']['quarantineSpikes'] = [];
  for (const [key, rows] of now.byReason) {
    const [dataset = '', reason = ''] = key.split('\u0000');
    const received = now.received.get(dataset) ?? 0;
    if (rows < limits.spikeMinRows || received === 0) continue;
    const rate = rows / received;
    const baselineRows = before.byReason.get(key) ?? 0;
    const baselineReceived = before.received.get(dataset) ?? 0;
    const baselineRate = baselineReceived > 0 ? baselineRows / baselineReceived : null;
    if (baselineRate !== null && rate < limits.spikeFactor * baselineRate) continue;
    spikes.push({ dataset, reason, rows, rate, baselineRows, baselineRate });
  }
  return {
    freshnessLimitMinutes: limits.freshnessMinutes,
    freshnessBreaches: [...breaches.values()].sort((a, b) => a.dataset.localeCompare(b.dataset)),
    quarantineSpikes: spikes.sort((a, b) => a.dataset.localeCompare(b.dataset) || b.rows - a.rows),
  };
}

/** The scorecard of the reviewed KPIs at `at`. */
export function scorecardAt(kpis: readonly ReviewedKpi[], at: number): ScorecardEntry[] {
  return kpis.map(({ kpi, series }) => scorecardEntry(kpi, series, at));
}

/**
 * What changed since the previous pack. Without one, the "before" scorecard is the stores' own
 * standing at the start of the reviewed period.
 */
export function whatChanged(input: WhatChangedInput): WhatChanged {
  const current = scorecardAt(input.kpis, input.period.end);
  const before = input.previousScorecard ?? scorecardAt(input.kpis, input.period.start);
  const restatements = restatementSection(input);
  return {
    ...statusSection(input, current, before),
    restatements,
    definitionChanges: definitionSection(input, restatements),
    ...governanceSection(input),
    dataQuality: dataQualitySection(input),
    proposals: [...(input.proposals ?? [])],
  };
}
