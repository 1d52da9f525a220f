// Use case: where every KPI stands now, for `kpi status`: its latest complete value and status, its
// drift, the trend against the period before, and what is open about it: approvals waiting for a
// decision, review action items and drift review cases.
import type { KpiDefinition } from '../domain/definition/schema';
import { isoTime, periodStart, shiftPeriod } from '../domain/engine/time';
import { kpiOfApproval } from '../domain/guardrails/approval';
import type { ActionItem } from '../domain/reviews/action-items';
import { isOverdue } from '../domain/reviews/action-items';
import { reviewedKpiSummary, type ScorecardEntry, scorecardEntry, standingValue } from '../domain/reviews/scorecard';
import type { ApprovalStore } from '../ports/approvals';
import type { Clock } from '../ports/clock';
import type { DefinitionStore } from '../ports/definition-store';
import type { KpiValueStore } from '../ports/kpi-value-store';
import type { ReviewStore } from '../ports/review-store';

/** Periods before the latest that count as "recent" for drift. */
export const RECENT_PERIODS = 7;

export interface KpiStatusDeps {
  readonly definitions: Pick<DefinitionStore<KpiDefinition>, 'list'>;
  readonly values: Pick<KpiValueStore, 'history'>;
  readonly approvals: Pick<ApprovalStore, 'listRequests'>;
  readonly reviews: Pick<ReviewStore, 'listOpenActionItems' | 'listOpenCases'>;
  readonly clock: Clock;
}

export interface KpiStatusRow extends ScorecardEntry {
  readonly definition: KpiDefinition;
  /** Drifting periods among the latest and the RECENT_PERIODS - 1 before it. */
  readonly recentDrifts: number;
  readonly openApprovals: number;
  /** Open action items about this KPI, and open drift review cases on it. */
  readonly openItems: number;
  readonly openCases: number;
}

export interface KpiStatus {
  readonly at: string;
  readonly kpis: readonly KpiStatusRow[];
  /** Open action items about no KPI in particular. */
  readonly otherItems: readonly ActionItem[];
  /** Open action items past their due day. */
  readonly overdueItems: number;
}

/** Every active KPI's standing at the clock's time, by category then id. */
export async function kpiStatus(deps: KpiStatusDeps): Promise<KpiStatus> {
  const now = deps.clock.now();
  const [active, pending, items, cases] = await Promise.all([
    deps.definitions.list('active'),
    deps.approvals.listRequests('pending', 1000),
    deps.reviews.listOpenActionItems(),
    deps.reviews.listOpenCases(),
  ]);
  const count = <T>(list: readonly T[], kpiId: string, of: (t: T) => string | null) =>
    list.filter((t) => of(t) === kpiId).length;
  const kpis = await Promise.all(
    active.map(async ({ definition }): Promise<KpiStatusRow> => {
      const series = await deps.values.history({
        kpiId: definition.id,
        dimensions: {},
        grain: definition.grain,
        from: isoTime(shiftPeriod(definition.grain, periodStart(definition.grain, now), -(RECENT_PERIODS + 2))),
        to: isoTime(now),
      });
      const latest = standingValue(series, now);
      const index = latest ? series.indexOf(latest) : -1;
      const recent = series.slice(Math.max(0, index - RECENT_PERIODS + 1), index + 1);
      return {
        ...scorecardEntry(reviewedKpiSummary(definition), series, now),
        definition,
        recentDrifts: recent.filter((v) => v.drift?.verdict === 'drift').length,
        openApprovals: count(pending, definition.id, (r) => kpiOfApproval(r).id),
        openItems: count(items, definition.id, (i) => i.kpiId),
        openCases: count(cases, definition.id, (c) => c.kpiId),
      };
    }),
  );
  const ids = new Set(kpis.map((k) => k.kpiId));
  return {
    at: isoTime(now),
    kpis: kpis.sort((a, b) => a.category.localeCompare(b.category) || a.kpiId.localeCompare(b.kpiId)),
    otherItems: items.filter((i) => i.kpiId === null || !ids.has(i.kpiId)),
    overdueItems: items.filter((i) => isOverdue(i, now)).length,
  };
}
