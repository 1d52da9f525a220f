// Use case (evaluate): calibration proposals. From a KPI's stored overall series over its lookback,
// the definition's method proposes new thresholds; the proposal is stored beside the definition's
// versions with its evidence and its impact on the stored periods (each re-evaluated under both
// targets), for review. Nothing is published here: publishing the proposed file is a person's act,
// and an approval's when the KPI's level of decision asks for one.
import type { KpiDefinition } from '../domain/definition/schema';
import { isoTime, periodStart, shiftPeriod } from '../domain/engine/time';
import { NotFoundError, ValidationError } from '../domain/errors';
import { calibrationLookback, proposeCalibration } from '../domain/evaluation/calibration/propose';
import { type CalibrationSettings, calibrationSettingsSchema } from '../domain/evaluation/calibration/settings';
import { evaluationImpact, type ImpactRow } from '../domain/evaluation/impact';
import { contentHash } from '../domain/versioning/content-hash';
import type { DefinitionProposal } from '../domain/versioning/proposals';
import type { AnnotationStore } from '../ports/annotation-store';
import type { Clock } from '../ports/clock';
import type { DefinitionStore, ProposalStore } from '../ports/definition-store';
import type { KpiValueStore } from '../ports/kpi-value-store';

export interface CalibrateDependencies {
  readonly store: Pick<DefinitionStore<KpiDefinition>, 'get' | 'list'> &
    Pick<ProposalStore<KpiDefinition>, 'propose' | 'getProposal' | 'listProposals' | 'updateProposal'>;
  readonly values: Pick<KpiValueStore, 'history'>;
  readonly annotations: Pick<AnnotationStore, 'list'>;
  readonly clock: Clock;
}

export interface CalibrateRequest {
  readonly kpiId: string;
  /** The proposal's id; calibrations on a cadence name it after the cadence period. */
  readonly proposalId: string;
  readonly author: string;
  readonly reason: string;
  /** Settings that replace the definition's own (the CLI's --method and --lookback). */
  readonly settings?: CalibrationSettings;
}

export type CalibrateResult =
  | {
      readonly kind: 'proposed';
      readonly proposal: DefinitionProposal<KpiDefinition>;
      /** The stored periods re-evaluated under both targets, oldest first. */
      readonly impact: readonly ImpactRow[];
      /** False when a proposal with this id existed already (it is returned as stored). */
      readonly created: boolean;
    }
  | { readonly kind: 'unchanged'; readonly version: number }
  | { readonly kind: 'insufficient_history'; readonly usable: number; readonly needed: number };

/**
 * Proposes new thresholds for one active KPI and stores the proposal; earlier open calibration
 * proposals of the KPI are superseded by it.
 * @throws NotFoundError when the KPI is not active; ValidationError when it has no calibration settings
 */
export async function calibrateKpi(deps: CalibrateDependencies, request: CalibrateRequest): Promise<CalibrateResult> {
  const existing = await deps.store.getProposal(request.kpiId, request.proposalId);
  const state = await deps.store.get(request.kpiId);
  if (state?.status !== 'active') throw new NotFoundError(`${request.kpiId} is not an active KPI`);
  const active = state.definition;
  const settings = request.settings ?? active.calibration;
  if (!settings) {
    throw new ValidationError(`${request.kpiId} has no calibration settings: add a calibration block or give a method`);
  }
  const now = deps.clock.now();
  const to = periodStart(active.grain, now);
  const history = await deps.values.history({
    kpiId: active.id,
    dimensions: {},
    grain: active.grain,
    from: isoTime(shiftPeriod(active.grain, to, -calibrationLookback({ ...active, calibration: settings }))),
    to: isoTime(to),
  });
  const outcome = proposeCalibration({ ...active, calibration: settings }, history, await deps.annotations.list());
  if (outcome.kind === 'insufficient_history') return outcome;
  const proposed: KpiDefinition = { ...active, target: outcome.target };
  const hash = contentHash(proposed);
  if (hash === state.hash) return { kind: 'unchanged', version: state.version };
  const impact = evaluationImpact(active, proposed, history);
  if (existing) return { kind: 'proposed', proposal: existing, impact: impact.rows, created: false };
  const proposal: DefinitionProposal<KpiDefinition> = {
    id: request.proposalId,
    kpiId: active.id,
    source: 'calibration',
    status: 'proposed',
    createdAt: now,
    updatedAt: now,
    author: request.author,
    reason: request.reason,
    baseVersion: state.version,
    definition: proposed,
    hash,
    evidence: outcome.evidence,
    impact: impact.summary,
    approval: null,
    publishedVersion: null,
  };
  const created = await deps.store.propose(proposal);
  for (const older of await deps.store.listProposals({ kpiId: active.id, status: 'proposed', limit: 1000 })) {
    if (older.id !== proposal.id && older.source === 'calibration') {
      await deps.store.updateProposal(active.id, older.id, { status: 'superseded' });
    }
  }
  return { kind: 'proposed', proposal, impact: impact.rows, created };
}

/** `2026-w47` for a weekly cadence (ISO week), `2026-11` for a monthly one: the period a proposal is due for. */
export function calibrationPeriod(cadence: CalibrationSettings['cadence'], at: number): string {
  const date = new Date(at);
  if (cadence === 'monthly') return isoTime(at).slice(0, 7);
  // ISO 8601: the week with the year's first Thursday is week 1; weeks start on Monday.
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7));
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-w${String(week).padStart(2, '0')}`;
}

export interface DueCalibration {
  readonly kpiId: string;
  readonly proposalId: string;
  readonly result: CalibrateResult['kind'] | 'already_proposed';
}

/**
 * The calibrations due at `at`: every active KPI with calibration settings gets one proposal per
 * cadence period (`calibration-2026-w47`), made by the first run in that period.
 */
export async function proposeDueCalibrations(deps: CalibrateDependencies, at: number): Promise<DueCalibration[]> {
  const done: DueCalibration[] = [];
  for (const state of await deps.store.list('active')) {
    const settings = state.definition.calibration;
    if (!settings) continue;
    const proposalId = `calibration-${calibrationPeriod(settings.cadence, at)}`;
    if (await deps.store.getProposal(state.id, proposalId)) {
      done.push({ kpiId: state.id, proposalId, result: 'already_proposed' });
      continue;
    }
    const result = await calibrateKpi(deps, {
      kpiId: state.id,
      proposalId,
      author: 'calibration',
      reason: `${settings.cadence} calibration by ${settings.method.type}`,
    });
    done.push({ kpiId: state.id, proposalId, result: result.kind });
  }
  return done;
}

/** Settings from the command line, on top of the definition's own (or defaults without any). */
export function calibrationOverrides(
  own: CalibrationSettings | undefined,
  method: 'quantiles' | 'control_limits' | undefined,
  lookback: number | undefined,
): CalibrationSettings | undefined {
  if (method === undefined && lookback === undefined) return undefined;
  const base = own ?? { cadence: 'monthly' as const, minPeriods: 14 };
  const chosen =
    method === undefined || method === own?.method.type
      ? own?.method
      : method === 'quantiles'
        ? { type: 'quantiles' as const, green: 0.6, yellow: 0.9 }
        : { type: 'control_limits' as const, green: 1, yellow: 2 };
  return calibrationSettingsSchema.parse({
    ...base,
    method: chosen ?? { type: 'control_limits', green: 1, yellow: 2 },
    ...(lookback === undefined ? {} : { lookback, minPeriods: Math.min(base.minPeriods, lookback) }),
  });
}
