// Use case: make the KPI schedules match the active definitions: one per active KPI with the
// schedule of its cadence, none for retired or unknown KPIs. Safe to run any number of times.
import { planKpiSchedule } from '../domain/scheduling/kpi-schedule';
import type { IdentifiedDefinition } from '../domain/versioning/definition-versions';
import type { DefinitionStore } from '../ports/definition-store';
import type { KpiSchedules, ScheduleChange } from '../ports/kpi-schedules';

/** The cadence of a definition, e.g. `hourly` (see cadenceExpression). */
export type CadenceOf<T> = (definition: T) => string;

export interface ScheduleSyncReport {
  /** Schedule name → what was done. */
  readonly changes: Readonly<Record<string, ScheduleChange>>;
}

export async function syncKpiSchedules<T extends IdentifiedDefinition>(
  store: DefinitionStore<T>,
  schedules: KpiSchedules,
  cadenceOf: CadenceOf<T>,
): Promise<ScheduleSyncReport> {
  const changes: Record<string, ScheduleChange> = {};
  const active = await store.list('active');
  const wanted = new Set<string>();
  for (const state of active) {
    const plan = planKpiSchedule(state.id, cadenceOf(state.definition));
    wanted.add(plan.name);
    changes[plan.name] = await schedules.ensure(plan);
  }
  for (const name of await schedules.names()) {
    if (!wanted.has(name)) changes[name] = await schedules.remove(name);
  }
  return { changes };
}
