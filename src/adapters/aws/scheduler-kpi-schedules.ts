// AWS adapter: KPI schedules in one EventBridge Scheduler schedule group, each invoking the compute
// function with `{ kpiId, scheduledTime }`. Create, update and delete are idempotent: a schedule is
// only written when it differs from the plan.
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  paginateListSchedules,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { KpiSchedulePlan } from '../../domain/scheduling/kpi-schedule';
import type { KpiSchedules } from '../../ports/kpi-schedules';

/** Replaced by Scheduler with the time the invocation was scheduled for. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

export interface SchedulerKpiSchedulesOptions {
  readonly client: SchedulerClient;
  /** The schedule group holding the KPI schedules (and nothing else). */
  readonly groupName: string;
  /** ARN of the compute function. */
  readonly targetArn: string;
  /** Role Scheduler assumes to invoke the target. */
  readonly roleArn: string;
  /** Queue receiving invocations that failed after the retries. */
  readonly deadLetterArn?: string;
}

export class SchedulerKpiSchedules implements KpiSchedules {
  constructor(private readonly options: SchedulerKpiSchedulesOptions) {}

  async ensure(plan: KpiSchedulePlan): Promise<'created' | 'updated' | 'unchanged'> {
    const desired = this.desired(plan);
    const existing = await this.get(plan.name);
    if (!existing) {
      try {
        await this.options.client.send(new CreateScheduleCommand(desired));
        return 'created';
      } catch (error) {
        // Another publish created it in the meantime; fall through to compare and update.
        if (!(error instanceof ConflictException)) throw error;
      }
    }
    const current = existing ?? (await this.get(plan.name));
    if (current && matches(current, desired)) return 'unchanged';
    await this.options.client.send(new UpdateScheduleCommand(desired));
    return 'updated';
  }

  async remove(name: string): Promise<'deleted' | 'absent'> {
    try {
      await this.options.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
      return 'deleted';
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return 'absent';
      throw error;
    }
  }

  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListSchedules(
      { client: this.options.client },
      { GroupName: this.options.groupName },
    )) {
      for (const schedule of page.Schedules ?? []) if (schedule.Name) names.push(schedule.Name);
    }
    return names.sort();
  }

  private async get(name: string): Promise<GetScheduleCommandOutput | null> {
    try {
      return await this.options.client.send(new GetScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return null;
      throw error;
    }
  }

  private desired(plan: KpiSchedulePlan): CreateScheduleCommandInput {
    return {
      Name: plan.name,
      GroupName: this.options.groupName,
      ScheduleExpression: plan.expression,
      ScheduleExpressionTimezone: 'UTC',
      Description: plan.description,
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: this.options.targetArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify({ kpiId: plan.kpiId, scheduledTime: SCHEDULED_TIME }),
        // A computation older than an hour is superseded by the next run of the schedule.
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
        ...(this.options.deadLetterArn ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
      },
    };
  }
}

function matches(current: GetScheduleCommandOutput, desired: CreateScheduleCommandInput): boolean {
  const target = current.Target;
  const want = desired.Target;
  return (
    current.ScheduleExpression === desired.ScheduleExpression &&
    (current.ScheduleExpressionTimezone ?? 'UTC') === desired.ScheduleExpressionTimezone &&
    current.Description === desired.Description &&
    current.State === desired.State &&
    current.FlexibleTimeWindow?.Mode === desired.FlexibleTimeWindow?.Mode &&
    target?.Arn === want?.Arn &&
    target?.RoleArn === want?.RoleArn &&
    target?.Input === want?.Input &&
    target?.RetryPolicy?.MaximumEventAgeInSeconds === want?.RetryPolicy?.MaximumEventAgeInSeconds &&
    target?.RetryPolicy?.MaximumRetryAttempts === want?.RetryPolicy?.MaximumRetryAttempts &&
    target?.DeadLetterConfig?.Arn === want?.DeadLetterConfig?.Arn
  );
}
