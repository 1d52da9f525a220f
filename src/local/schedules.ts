// Local runtime: the EventBridge Scheduler schedules the templates declare. Nothing fires on its own
// locally; `npm start` and tests run a schedule's target on demand with the schedule's own input,
// exactly what the scheduler would deliver.
import type { LocalFunctions } from './functions';
import type { LocalStepFunctions } from './stepfunctions/local-step-functions';
import type { TemplateResolver } from './template';

export interface LocalSchedule {
  readonly stackName: string;
  readonly logicalId: string;
  readonly name: string;
  /** `rate(5 minutes)`, `cron(...)` or `at(...)`. */
  readonly expression: string;
  readonly targetArn: string;
  /** The event the target receives. */
  readonly input: unknown;
  readonly enabled: boolean;
}

export class LocalSchedules {
  readonly all: LocalSchedule[];

  constructor(
    resolver: TemplateResolver,
    private readonly functions: LocalFunctions,
    private readonly stepFunctions: LocalStepFunctions,
  ) {
    this.all = resolver.resourcesOfType('AWS::Scheduler::Schedule').map(({ stackName, logicalId, resource }) => {
      const props = resolver.resolve(stackName, resource.Properties ?? {}) as {
        ScheduleExpression: string;
        State?: string;
        Target: { Arn: string; Input?: string };
      };
      return {
        stackName,
        logicalId,
        name: resolver.physicalName(stackName, logicalId),
        expression: props.ScheduleExpression,
        targetArn: props.Target.Arn,
        input: props.Target.Input ? JSON.parse(props.Target.Input) : {},
        enabled: props.State !== 'DISABLED',
      };
    });
  }

  /** Schedules whose target is the given function (by name, entry or logical id) or state machine. */
  targeting(key: string): LocalSchedule[] {
    return this.all.filter((s) => {
      try {
        return this.functions.get(key).arn === s.targetArn;
      } catch {
        try {
          return this.stepFunctions.stateMachine(key).arn === s.targetArn;
        } catch {
          return false;
        }
      }
    });
  }

  /**
   * Delivers one schedule's input to its target as of `scheduledTime` (context attributes such as
   * `<aws.scheduler.scheduled-time>` filled in, as the scheduler does), and returns what the target returned.
   */
  async run(schedule: LocalSchedule, scheduledTime: Date = new Date()): Promise<unknown> {
    const input = JSON.parse(
      JSON.stringify(schedule.input).replaceAll(
        '<aws.scheduler.scheduled-time>',
        scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ),
    ) as unknown;
    if (schedule.targetArn.includes(':stateMachine:')) {
      const execution = this.stepFunctions.startExecution(schedule.targetArn, input);
      return execution.done;
    }
    return this.functions.invoke(schedule.targetArn, input);
  }
}
