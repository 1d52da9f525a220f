import { GetScheduleCommand, ListSchedulesCommand, ValidationException } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DynamoDbDefinitionStore } from '../../src/adapters/aws/dynamodb-definition-store';
import { SchedulerKpiSchedules } from '../../src/adapters/aws/scheduler-kpi-schedules';
import { planKpiSchedule } from '../../src/domain/scheduling/kpi-schedule';
import { LocalCloud } from '../../src/local/local-cloud';
import { publishDefinition } from '../../src/usecases/publish-definition';
import { retireDefinition } from '../../src/usecases/retire-definition';
import { rollbackDefinition } from '../../src/usecases/rollback-definition';
import { syncKpiSchedules } from '../../src/usecases/sync-kpi-schedules';

const definitionSchema = z.object({ id: z.string(), cadence: z.string(), red: z.number() }).strict();
type Definition = z.infer<typeof definitionSchema>;

let cloud: LocalCloud;
let schedules: SchedulerKpiSchedules;
let store: DynamoDbDefinitionStore<Definition>;
const by = { author: 'ops@example.com', reason: 'test' };

beforeAll(async () => {
  cloud = await LocalCloud.start();
  const target = cloud.functions.get('self-check');
  schedules = new SchedulerKpiSchedules({
    client: cloud.clients.scheduler,
    groupName: 'default',
    targetArn: target.arn,
    roleArn: 'arn:aws:iam::000000000000:role/scheduler-invokes-compute',
  });
  let now = Date.UTC(2024, 0, 1);
  store = new DynamoDbDefinitionStore<Definition>({
    client: cloud.clients.dynamodb,
    tableName: cloud.physicalName('DefinitionsTable'),
    clock: { now: () => now++ },
    parse: (raw) => definitionSchema.parse(raw),
  });
});

afterAll(async () => {
  await cloud?.stop();
});

const deps = () => ({ store, schedules, cadenceOf: (d: Definition) => d.cadence });

describe('SchedulerKpiSchedules through the Scheduler SDK client', () => {
  it('creates a KPI schedule the first time and leaves it alone the second', async () => {
    const plan = planKpiSchedule('ctr', 'hourly');
    expect(await schedules.ensure(plan)).toBe('created');
    expect(await schedules.ensure(plan)).toBe('unchanged');
    const stored = await cloud.clients.scheduler.send(
      new GetScheduleCommand({ Name: 'kpi-ctr', GroupName: 'default' }),
    );
    expect(stored).toMatchObject({
      ScheduleExpression: 'cron(5 * * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      Target: { Input: '{"kpiId":"ctr","scheduledTime":"<aws.scheduler.scheduled-time>"}' },
    });
  });

  it('updates the schedule when the cadence changes', async () => {
    await schedules.ensure(planKpiSchedule('retry_rate', 'hourly'));
    expect(await schedules.ensure(planKpiSchedule('retry_rate', 'every_5_minutes'))).toBe('updated');
    const stored = await cloud.clients.scheduler.send(
      new GetScheduleCommand({ Name: 'kpi-retry_rate', GroupName: 'default' }),
    );
    expect(stored.ScheduleExpression).toBe('rate(5 minutes)');
  });

  it('deletes a schedule, and reports a second delete as already absent', async () => {
    await schedules.ensure(planKpiSchedule('bounce', 'daily'));
    expect(await schedules.remove('kpi-bounce')).toBe('deleted');
    expect(await schedules.remove('kpi-bounce')).toBe('absent');
  });

  it('gets a clear validation error from the endpoint for an expression Scheduler would refuse', async () => {
    await expect(
      schedules.ensure({ kpiId: 'x', name: 'kpi-x', expression: 'every day', description: 'x' }),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('delivers the schedule input to the target function when the schedule fires', async () => {
    await schedules.ensure(planKpiSchedule('uptime', 'daily'));
    const result = await cloud.scheduler.fire('kpi-uptime', 'default', new Date(Date.UTC(2024, 0, 2, 0, 15)));
    expect(result).toMatchObject({ healthy: true });
  });
});

describe('definition changes keep the schedules in step', () => {
  it('creates the schedule on publish, restores the old cadence on rollback and removes it on retire', async () => {
    const schedule = () =>
      cloud.clients.scheduler.send(new GetScheduleCommand({ Name: 'kpi-mttr', GroupName: 'default' }));
    const first = await publishDefinition(deps(), { id: 'mttr', cadence: 'daily', red: 60 }, by);
    expect(first.schedule).toEqual({ name: 'kpi-mttr', change: 'created' });
    await publishDefinition(deps(), { id: 'mttr', cadence: 'hourly', red: 60 }, by);
    expect((await schedule()).ScheduleExpression).toBe('cron(5 * * * ? *)');
    expect((await rollbackDefinition(deps(), 'mttr', 1, by)).schedule).toBe('updated');
    expect((await schedule()).ScheduleExpression).toBe('cron(15 0 * * ? *)');
    expect((await retireDefinition(deps(), 'mttr', by)).schedule).toBe('deleted');
    await expect(schedule()).rejects.toThrow(/does not exist/);
  });

  it('publishes nothing when the cadence has no schedule', async () => {
    await expect(publishDefinition(deps(), { id: 'odd', cadence: 'fortnightly', red: 1 }, by)).rejects.toThrow(
      /cadence/,
    );
    expect(await store.get('odd')).toBeNull();
  });

  it('reconciles: a schedule per active KPI and none for anything else', async () => {
    await store.publish({ id: 'sla', cadence: 'hourly', red: 0.9 }, by);
    await schedules.ensure(planKpiSchedule('orphan', 'daily'));
    const report = await syncKpiSchedules(store, schedules, (d) => d.cadence);
    expect(report.changes['kpi-sla']).toBe('created');
    expect(report.changes['kpi-orphan']).toBe('deleted');
    const { Schedules = [] } = await cloud.clients.scheduler.send(new ListSchedulesCommand({ GroupName: 'default' }));
    const active = (await store.list('active')).map((s) => `kpi-${s.id}`).sort();
    expect(Schedules.map((s) => s.Name).sort()).toEqual(active);
  });
});
