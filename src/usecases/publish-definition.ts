// Use case: publish a KPI definition as a new version and keep its schedule in step with its cadence.
import { planKpiSchedule } from '../domain/scheduling/kpi-schedule';
import type { IdentifiedDefinition } from '../domain/versioning/definition-versions';
import type { ChangeAuthor, DefinitionStore, PublishOutcome } from '../ports/definition-store';
import type { KpiSchedules } from '../ports/kpi-schedules';
import type { CadenceOf } from './sync-kpi-schedules';

export interface PublishDefinitionResult<T> extends PublishOutcome<T> {
  readonly schedule: { readonly name: string; readonly change: 'created' | 'updated' | 'unchanged' };
}

/**
 * Publishes `definition` (already validated) and then creates or updates its schedule. The cadence
 * is checked before anything is stored, so a bad cadence publishes nothing.
 * @throws DefinitionUnchangedError when the content equals the version in force
 */
export async function publishDefinition<T extends IdentifiedDefinition>(
  deps: { store: DefinitionStore<T>; schedules: KpiSchedules; cadenceOf: CadenceOf<T> },
  definition: T,
  by: ChangeAuthor,
): Promise<PublishDefinitionResult<T>> {
  const plan = planKpiSchedule(definition.id, deps.cadenceOf(definition));
  const outcome = await deps.store.publish(definition, by);
  const change = await deps.schedules.ensure(plan);
  return { ...outcome, schedule: { name: plan.name, change } };
}
