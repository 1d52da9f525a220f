// Report: builds the report model from what the pipeline stored: each KPI's definition, its overall
// series and the latest period by dimension from the values table, the data quality of the
// ingested batches, and the governance section.
import type { KpiDefinition } from '../domain/definition/schema';
import { isoTime, periodStart } from '../domain/engine/time';
import { describeThresholds, evidenceLines } from '../domain/evaluation/calibration/describe';
import { restatementReason } from '../domain/reviews/what-changed';
import type { StoredKpiValue } from '../domain/values/restatement';
import type { DiffedChange } from '../domain/versioning/definition-versions';
import type { DefinitionProposal } from '../domain/versioning/proposals';
import { describeChanges } from '../domain/versioning/semantic-diff';
import type { KpiValueStore } from '../ports/kpi-value-store';
import type { ReportDefinitionChange, ReportModelInput } from './model';

type ReportKpiInput = ReportModelInput['kpis'][number];
type PointInput = ReportKpiInput['series'][number];

/** What the report shows of one dataset's ingestion. */
export type DataQualityRow = ReportModelInput['dataQuality'][number];

export interface ReportSources {
  readonly definitions: readonly KpiDefinition[];
  readonly values: Pick<KpiValueStore, 'history' | 'forPeriod'>;
  /** The window shown, epoch ms, half-open. */
  readonly from: number;
  readonly to: number;
  readonly dataQuality: readonly DataQualityRow[];
  readonly governance: Pick<ReportModelInput, 'approvals' | 'audit' | 'controls'>;
  /** Proposed definition changes to list (see proposalRows). @default none */
  readonly proposals?: ReportModelInput['proposals'];
  readonly run: { readonly description: string };
  /** @default now */
  readonly generatedAt?: number;
  /** A KPI's definition changes, marked on its chart. @default none */
  readonly changeLog?: (kpiId: string) => Promise<readonly DiffedChange[]>;
  /** Pages the report links to (a review pack). @default none */
  readonly links?: ReportModelInput['links'];
}

/** A definition change as the report's change log shows it. */
export function reportChange({ change, diff }: DiffedChange): ReportDefinitionChange {
  return {
    at: isoTime(change.at),
    action: change.action,
    fromVersion: change.fromVersion,
    toVersion: change.toVersion,
    author: change.author,
    reason: change.reason,
    diff: diff ? describeChanges(diff) : [],
  };
}

/** The thresholds of a definition in the report's terms (where yellow and red begin). */
export function reportThresholds(target: KpiDefinition['target']): ReportKpiInput['thresholds'] {
  if (target.direction === 'within_band') {
    return {
      direction: 'within_band',
      warning: null,
      critical: null,
      bandLow: target.thresholds.green.min,
      bandHigh: target.thresholds.green.max,
      target: null,
    };
  }
  return {
    direction: target.direction,
    warning: target.thresholds.green,
    critical: target.thresholds.yellow,
    bandLow: null,
    bandHigh: null,
    target: target.value,
  };
}

/** The report's rows for stored proposals, newest first, with their evidence in words. */
export function proposalRows(
  proposals: readonly DefinitionProposal<KpiDefinition>[],
  currentOf: (kpiId: string) => KpiDefinition | undefined,
): ReportModelInput['proposals'] {
  return [...proposals]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((p) => {
      const current = currentOf(p.kpiId);
      return {
        kpiId: p.kpiId,
        id: p.id,
        source: p.source,
        status: p.status,
        createdAt: isoTime(p.createdAt),
        baseVersion: p.baseVersion,
        current: p.evidence
          ? describeThresholds(p.evidence.current)
          : current
            ? describeThresholds(current.target.thresholds)
            : '',
        proposed: describeThresholds(p.definition.target.thresholds),
        evidence: evidenceLines(p.evidence, p.impact),
        decidedBy: p.approval?.decidedBy ?? null,
        publishedVersion: p.publishedVersion,
      };
    });
}

function unitOf(definition: KpiDefinition): string {
  return definition.unit === 'currency' ? `currency:${definition.currency ?? ''}`.replace(/:$/, '') : definition.unit;
}

function point(value: StoredKpiValue): PointInput {
  const signal = value.drift?.verdict === 'drift' ? value.drift.signals[0] : undefined;
  const note =
    value.reason ??
    (value.drift && ['suppressed', 'drift'].includes(value.drift.verdict) && value.drift.annotations.length > 0
      ? value.drift.message
      : undefined);
  return {
    periodStart: value.periodStart,
    periodEnd: value.periodEnd,
    value: value.value,
    status: value.status,
    sampleSize: value.sampleSize ?? 0,
    provisional: value.provisional,
    drift: signal ? { method: signal.method, score: signal.score, explanation: value.drift?.message } : null,
    ...(note ? { note } : {}),
    restatements: value.restatements.map((r) => ({
      value: r.previous.value,
      status: r.previous.status,
      definitionVersion: r.previous.definitionVersion,
      why: restatementReason(r),
      restatedAt: r.restatedAt,
    })),
    ...(value.forecast ? { probabilityRed: value.forecast.probabilityRed } : {}),
    lineage: {
      definitionVersion: value.lineage.definition.version,
      definitionHash: value.lineage.definition.hash,
      codeVersion: value.lineage.codeVersion,
      computedAt: value.lineage.computedAt,
      inputs: value.lineage.inputs.map((i) => ({
        dataset: i.dataset,
        partitions: i.partitions,
        first: i.first,
        last: i.last,
        rows: i.rows,
        quarantined: i.quarantined,
        manifests: i.manifestCount,
        digest: i.digest,
      })),
      inputsRef: value.lineage.inputsRef,
      confidence: value.confidence,
    },
  };
}

/** Rows of the latest period by dimension, grouped by the dimensions they are split by. */
function breakdownOf(values: readonly StoredKpiValue[]): ReportKpiInput['breakdown'] {
  const groups: ReportKpiInput['breakdown'] = {};
  for (const value of values) {
    const names = Object.keys(value.dimensions).sort();
    if (names.length === 0) continue;
    const group = names.join(' × ');
    const key = names
      .map((n) => (value.dimensions[n] === null ? '(missing)' : String(value.dimensions[n])))
      .join(' · ');
    groups[group] = [
      ...(groups[group] ?? []),
      { key, value: value.value, status: value.status, sampleSize: value.sampleSize ?? 0 },
    ];
  }
  return groups;
}

export async function buildReportModel(sources: ReportSources): Promise<ReportModelInput> {
  const kpis = await Promise.all(
    sources.definitions.map(async (definition): Promise<ReportKpiInput> => {
      const series = await sources.values.history({
        kpiId: definition.id,
        dimensions: {},
        grain: definition.grain,
        // From the period that contains the window's start: a month-grain KPI over two weeks still has its month.
        from: isoTime(periodStart(definition.grain, sources.from)),
        to: isoTime(sources.to),
      });
      // The breakdown of the latest complete period (the current one is still open).
      const latest = series.filter((v) => !v.provisional).at(-1) ?? series.at(-1);
      const forecast = latest?.forecast;
      const breakdown = latest
        ? breakdownOf(
            (await sources.values.forPeriod(definition.grain, latest.periodStart)).filter(
              (v) => v.kpiId === definition.id,
            ),
          )
        : {};
      return {
        id: definition.id,
        name: definition.name,
        description: definition.description,
        category: definition.category,
        owner: definition.owner.name,
        unit: unitOf(definition),
        grain: definition.grain,
        ...(definition.guardrail ? { levelOfDecision: definition.guardrail.levelOfDecision } : {}),
        ...(definition.guardrail?.useCase ? { useCase: definition.guardrail.useCase } : {}),
        thresholds: reportThresholds(definition.target),
        series: series.map(point),
        changes: sources.changeLog ? (await sources.changeLog(definition.id)).map(reportChange) : [],
        forecast:
          latest && forecast
            ? {
                from: latest.periodStart,
                horizonEnd: forecast.horizonEnd,
                model: forecast.model,
                probabilityRed: forecast.probabilityRed,
                atRiskProbability: forecast.atRiskProbability,
                steps: forecast.steps,
              }
            : null,
        breakdown,
      };
    }),
  );
  return {
    title: 'Agent KPI Pipeline',
    generatedAt: isoTime(sources.generatedAt ?? Date.now()),
    run: { description: sources.run.description, from: isoTime(sources.from), to: isoTime(sources.to) },
    kpis,
    links: [...(sources.links ?? [])],
    dataQuality: [...sources.dataQuality],
    ...sources.governance,
    proposals: [...(sources.proposals ?? [])],
  };
}
