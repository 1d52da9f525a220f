// The governance KPIs on live records, on the local cloud: a decision posted on the approval page
// is an audit event, committed to the `pipeline_governance` dataset of the raw store as it is
// recorded, and the compute function (which reads only what the commit log names) counts it in
// approval_latency_p95. A retried step that records the event again changes nothing.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governanceBatchId } from '../../src/adapters/aws/dynamodb-audit-log';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import type { ComputeSummary } from '../../src/contracts/compute-function';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { periodStart } from '../../src/domain/engine/time';
import { GOVERNANCE_DATASET_ID } from '../../src/domain/guardrails/audit';
import { LocalCloud } from '../../src/local/local-cloud';
import { decide, LocalApprovals } from '../support/local-approvals';
import { BASE_VIOLATION } from '../support/violations';

const KPI = 'approval_latency_p95';
const DAY = 86_400_000;

let cloud: LocalCloud;
let approvals: LocalApprovals;
let values: DynamoDbKpiValueStore;
let log: DynamoDbRawCommitLog;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  approvals = await LocalApprovals.attach(cloud);
  values = new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: cloud.physicalName('ValuesTable') });
  log = new DynamoDbRawCommitLog(cloud.clients.dynamodb, cloud.physicalName('StateTable'));
  const definition = storedDefinition(readDefinitionFile(path.resolve(`kpis/definitions/${KPI}.yaml`)).definition);
  const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), { now: Date.now });
  await store.publish(definition, {
    author: 'governance@example.com',
    reason: 'approval latency on live records',
  });
});

afterAll(async () => {
  await cloud?.stop();
});

/** Computes this week's approval latency and returns its overall value. */
async function thisWeek() {
  const week = periodStart('week', Date.now());
  const summary = (await cloud.functions.invoke('compute', {
    kpiId: KPI,
    from: new Date(week).toISOString(),
    to: new Date(week + 7 * DAY).toISOString(),
    asOf: new Date().toISOString(),
  })) as ComputeSummary;
  expect(summary.outcome).toBe('computed');
  const stored = await values.forPeriod('week', new Date(week).toISOString());
  return stored.find((v) => v.kpiId === KPI && Object.keys(v.dimensions).length === 0);
}

describe('governance KPIs on live audit events', () => {
  it('counts a decision posted on the approval page in the approval latency, once however often it is recorded', async () => {
    const approvalId = await approvals.open({
      ...BASE_VIOLATION,
      dimensions: { agent: 'governed' },
      governs: { agentId: 'governed', useCase: 'lead_handoff' },
    });
    await decide((await approvals.email(approvalId, 0, 'kpi-owners@example.com')).link, 'approve', 'checked');
    await approvals.execution(approvalId).done;
    const events = await approvals.auditOf(BASE_VIOLATION.kpi.id, approvalId);
    const requested = events.find((e) => e.type === 'approval_requested');
    const decided = events.find((e) => e.type === 'decision_recorded');
    if (!requested || !decided) throw new Error(`the approval was not audited: ${events.map((e) => e.type)}`);
    const minutes = (Date.parse(decided.occurredAt) - Date.parse(requested.occurredAt)) / 60_000;

    const first = await thisWeek();
    expect(first).toMatchObject({ sampleSize: 1 });
    expect(first?.value).toBeCloseTo(minutes, 6);

    // A step retried later (and its own retry at the same time) records the decision again.
    const later = new Date(Date.now() + 60_000).toISOString();
    await Promise.all([
      approvals.audit.record({ ...decided, occurredAt: later, reason: 'retried' }),
      approvals.audit.record({ ...decided, occurredAt: later, reason: 'retried' }),
    ]);
    const entries = await log.entries(GOVERNANCE_DATASET_ID, null, '9999-12-31');
    expect(entries.filter((entry) => entry.batchId === governanceBatchId(decided))).toHaveLength(1);
    const again = await thisWeek();
    expect(again).toMatchObject({ sampleSize: 1 });
    expect(again?.value).toBeCloseTo(minutes, 6);
  });
});
