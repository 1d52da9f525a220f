// Port: the schedules that invoke computation, one per active KPI.
import type { KpiSchedulePlan } from '../domain/scheduling/kpi-schedule';

export type ScheduleChange = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';

export interface KpiSchedules {
  /** Makes the KPI's schedule match the plan; does nothing when it already does. */
  ensure(plan: KpiSchedulePlan): Promise<'created' | 'updated' | 'unchanged'>;
  /** Deletes the schedule of that name; fine when there is none. */
  remove(name: string): Promise<'deleted' | 'absent'>;
  /** Names of every KPI schedule that exists. */
  names(): Promise<string[]>;
}
