// Use case: retire a KPI: its versions and history stay, its schedule goes.
import { kpiScheduleName } from '../domain/scheduling/kpi-schedule';
import type { ChangeLogEntry, IdentifiedDefinition } from '../domain/versioning/definition-versions';
import type { ChangeAuthor, DefinitionStore } from '../ports/definition-store';
import type { KpiSchedules } from '../ports/kpi-schedules';

export async function retireDefinition<T extends IdentifiedDefinition>(
  deps: { store: DefinitionStore<T>; schedules: KpiSchedules },
  id: string,
  by: ChangeAuthor,
): Promise<{ change: ChangeLogEntry; schedule: 'deleted' | 'absent' }> {
  const change = await deps.store.retire(id, by);
  const schedule = await deps.schedules.remove(kpiScheduleName(id));
  return { change, schedule };
}
