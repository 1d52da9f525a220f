// Local runtime: EventBridge Scheduler for the schedules the pipeline creates at run time (one per
// KPI, kept in step with its cadence on publish). There is no emulator for it, so this serves the
// operations used over Scheduler's REST-JSON protocol on loopback, and the real
// @aws-sdk/client-scheduler talks to it unchanged. Nothing fires on its own: `fire` delivers a
// schedule's input to its target, as the service would at that time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { LocalFunctions } from './functions';
import { closeServer, listenOnLoopback, readBodyText } from './loopback-http';
import type { LocalStepFunctions } from './stepfunctions/local-step-functions';
import { LOCAL_ACCOUNT, LOCAL_REGION, type TemplateResolver } from './template';

/** A schedule as Scheduler stores it (the fields the pipeline uses). */
export interface StoredSchedule {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: {
    Arn: string;
    RoleArn: string;
    Input?: string;
    RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
    DeadLetterConfig?: { Arn?: string };
  };
  StartDate?: number;
  EndDate?: number;
  CreationDate: number;
  LastModificationDate: number;
}

/** An error Scheduler answers with: the HTTP status and `x-amzn-errortype` name the exception. */
export class SchedulerServiceError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const EXPRESSION =
  /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;

/** The placeholder Scheduler replaces with the scheduled time of the invocation. */
export const SCHEDULED_TIME_PLACEHOLDER = '<aws.scheduler.scheduled-time>';

/**
 * The schedules and schedule groups of a local deployment. Groups come from the templates
 * (`AWS::Scheduler::ScheduleGroup`) plus `default`; schedules are created through the API.
 */
export class LocalScheduler {
  private readonly groups = new Set<string>(['default']);
  private readonly schedules = new Map<string, StoredSchedule>();

  /** @param stateFile where schedules are kept across starts (a persistent local deployment). */
  constructor(
    resolver: TemplateResolver,
    private readonly functions: LocalFunctions,
    private readonly stepFunctions: LocalStepFunctions,
    private readonly stateFile?: string,
  ) {
    for (const { stackName, logicalId } of resolver.resourcesOfType('AWS::Scheduler::ScheduleGroup')) {
      this.groups.add(resolver.physicalName(stackName, logicalId));
    }
    if (stateFile && existsSync(stateFile)) {
      for (const schedule of JSON.parse(readFileSync(stateFile, 'utf8')) as StoredSchedule[]) {
        this.schedules.set(key(schedule.GroupName, schedule.Name), schedule);
      }
    }
  }

  /** Every schedule, optionally of one group. */
  list(groupName?: string): StoredSchedule[] {
    return [...this.schedules.values()].filter((s) => !groupName || s.GroupName === groupName);
  }

  /** One schedule. @throws SchedulerServiceError ResourceNotFoundException */
  get(name: string, groupName = 'default'): StoredSchedule {
    const schedule = this.schedules.get(key(groupName, name));
    if (!schedule) throw notFound(`Schedule ${name} does not exist.`);
    return schedule;
  }

  /**
   * Delivers the schedule's input to its target as of `scheduledTime`, and returns what the target
   * returned (a Lambda result, or the execution's output).
   */
  async fire(name: string, groupName: string, scheduledTime: Date): Promise<unknown> {
    const schedule = this.get(name, groupName);
    const input = JSON.parse(
      (schedule.Target.Input ?? '{}').replaceAll(
        SCHEDULED_TIME_PLACEHOLDER,
        scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ),
    ) as unknown;
    if (schedule.Target.Arn.includes(':stateMachine:')) {
      return (await this.stepFunctions.startExecution(schedule.Target.Arn, input).done).output;
    }
    return this.functions.invoke(schedule.Target.Arn, input);
  }

  /** Routes one REST-JSON request to its operation. */
  handle(method: string, url: URL, body: Record<string, unknown>): unknown {
    const [, collection, rawName] = url.pathname.split('/');
    const name = rawName ? decodeURIComponent(rawName) : undefined;
    if (collection === 'schedules' && name) {
      switch (method) {
        case 'POST':
          return this.create(name, body);
        case 'PUT':
          return this.update(name, body);
        case 'GET':
          return this.get(name, url.searchParams.get('groupName') ?? 'default');
        case 'DELETE':
          return this.remove(name, url.searchParams.get('groupName') ?? 'default');
      }
    }
    if (collection === 'schedules' && !name && method === 'GET') return this.listPage(url.searchParams);
    if (collection === 'schedule-groups' && name && method === 'GET') {
      if (!this.groups.has(name)) throw notFound(`Schedule group ${name} does not exist.`);
      return { Arn: groupArn(name), Name: name, State: 'ACTIVE' };
    }
    if (collection === 'schedule-groups' && name && method === 'POST') {
      if (this.groups.has(name)) throw new SchedulerServiceError('ConflictException', 409, `${name} already exists.`);
      this.groups.add(name);
      return { ScheduleGroupArn: groupArn(name) };
    }
    throw new SchedulerServiceError('ValidationException', 400, `${method} ${url.pathname} is not supported locally`);
  }

  private create(name: string, body: Record<string, unknown>): unknown {
    const schedule = this.validated(name, body);
    const k = key(schedule.GroupName, name);
    if (this.schedules.has(k)) {
      throw new SchedulerServiceError('ConflictException', 409, `Schedule ${name} already exists.`);
    }
    this.schedules.set(k, schedule);
    this.save();
    return { ScheduleArn: schedule.Arn };
  }

  private update(name: string, body: Record<string, unknown>): unknown {
    const schedule = this.validated(name, body);
    const existing = this.get(name, schedule.GroupName);
    this.schedules.set(key(schedule.GroupName, name), { ...schedule, CreationDate: existing.CreationDate });
    this.save();
    return { ScheduleArn: schedule.Arn };
  }

  private remove(name: string, groupName: string): unknown {
    this.get(name, groupName);
    this.schedules.delete(key(groupName, name));
    this.save();
    return {};
  }

  private listPage(query: URLSearchParams): unknown {
    const group = query.get('ScheduleGroup') ?? undefined;
    const prefix = query.get('NamePrefix') ?? '';
    const max = Number(query.get('MaxResults') ?? 100);
    const start = Number(query.get('NextToken') ?? 0);
    const matching = this.list(group)
      .filter((s) => s.Name.startsWith(prefix))
      .sort((a, b) => a.Name.localeCompare(b.Name));
    const page = matching.slice(start, start + max);
    return {
      Schedules: page.map((s) => ({
        Arn: s.Arn,
        Name: s.Name,
        GroupName: s.GroupName,
        State: s.State,
        CreationDate: s.CreationDate,
        LastModificationDate: s.LastModificationDate,
        Target: { Arn: s.Target.Arn },
      })),
      ...(start + max < matching.length ? { NextToken: String(start + max) } : {}),
    };
  }

  private validated(name: string, body: Record<string, unknown>): StoredSchedule {
    const invalid = (message: string) => new SchedulerServiceError('ValidationException', 400, message);
    if (!NAME.test(name)) throw invalid(`Invalid schedule name ${name}.`);
    const groupName = typeof body.GroupName === 'string' ? body.GroupName : 'default';
    if (!this.groups.has(groupName)) throw notFound(`Schedule group ${groupName} does not exist.`);
    const expression = String(body.ScheduleExpression ?? '');
    if (!EXPRESSION.test(expression)) throw invalid(`Invalid Schedule Expression ${expression}.`);
    const target = body.Target as StoredSchedule['Target'] | undefined;
    if (!target?.Arn || !target.RoleArn) throw invalid('Target Arn and RoleArn are required.');
    if (target.Input !== undefined) {
      try {
        JSON.parse(target.Input.replaceAll(SCHEDULED_TIME_PLACEHOLDER, ''));
      } catch {
        throw invalid('Target Input is not valid JSON.');
      }
    }
    const window = body.FlexibleTimeWindow as StoredSchedule['FlexibleTimeWindow'] | undefined;
    if (!window?.Mode) throw invalid('FlexibleTimeWindow is required.');
    const now = Math.floor(Date.now() / 1000);
    return {
      Name: name,
      GroupName: groupName,
      Arn: `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/${groupName}/${name}`,
      ScheduleExpression: expression,
      ...(typeof body.ScheduleExpressionTimezone === 'string'
        ? { ScheduleExpressionTimezone: body.ScheduleExpressionTimezone }
        : {}),
      ...(typeof body.Description === 'string' ? { Description: body.Description } : {}),
      State: body.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      FlexibleTimeWindow: window,
      Target: target,
      ...(typeof body.StartDate === 'number' ? { StartDate: body.StartDate } : {}),
      ...(typeof body.EndDate === 'number' ? { EndDate: body.EndDate } : {}),
      CreationDate: now,
      LastModificationDate: now,
    };
  }

  private save(): void {
    if (this.stateFile) writeFileSync(this.stateFile, JSON.stringify([...this.schedules.values()], null, 2));
  }
}

function key(group: string, name: string): string {
  return `${group}/${name}`;
}

function groupArn(name: string): string {
  return `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule-group/${name}`;
}

function notFound(message: string): SchedulerServiceError {
  return new SchedulerServiceError('ResourceNotFoundException', 404, message);
}

export interface SchedulerEndpoint {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves the scheduler on 127.0.0.1 with an OS-assigned port. `scheduler` is read on each request,
 * so the endpoint can start before the schedules' targets exist.
 */
export async function startSchedulerEndpoint(scheduler: () => LocalScheduler | undefined): Promise<SchedulerEndpoint> {
  const reply = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, {
      'content-type': 'application/json',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  };
  const server: Server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const text = await readBodyText(request);
      const target = scheduler();
      if (!target) throw new SchedulerServiceError('InternalServerException', 500, 'the scheduler is not ready');
      const output = target.handle(
        request.method ?? 'GET',
        url,
        text ? (JSON.parse(text) as Record<string, unknown>) : {},
      );
      reply(response, 200, output ?? {});
    } catch (error) {
      if (error instanceof SchedulerServiceError) {
        reply(response, error.status, { Message: error.message }, error.code);
      } else {
        reply(response, 500, { Message: (error as Error).message }, 'InternalServerException');
      }
    }
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}
