// Use case: put an earlier version of a KPI back in force, and its cadence with it.
import { planKpiSchedule } from '../domain/scheduling/kpi-schedule';
import type { ChangeLogEntry, IdentifiedDefinition } from '../domain/versioning/definition-versions';
import type { ChangeAuthor, DefinitionStore } from '../ports/definition-store';
import type { KpiSchedules } from '../ports/kpi-schedules';
import type { CadenceOf } from './sync-kpi-schedules';

export async function rollbackDefinition<T extends IdentifiedDefinition>(
  deps: { store: DefinitionStore<T>; schedules: KpiSchedules; cadenceOf: CadenceOf<T> },
  id: string,
  toVersion: number,
  by: ChangeAuthor,
): Promise<{ change: ChangeLogEntry; schedule: 'created' | 'updated' | 'unchanged' }> {
  const change = await deps.store.rollback(id, toVersion, by);
  const target = await deps.store.getVersion(id, toVersion);
  const schedule = await deps.schedules.ensure(planKpiSchedule(id, deps.cadenceOf(target.definition)));
  return { change, schedule };
}
