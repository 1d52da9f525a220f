// A crash at every write: each handler (guardrail intake, approval steps, approval page, compute,
// snapshot export) is stopped at each call that writes to AWS, once just before the write and once
// just after AWS applied it, as if its process had died there; then it runs again the way it would
// on AWS (a retried invocation, a workflow's Retry, an approver clicking again). Every run must end
// as a clean one does: nothing doubled, nothing lost, in the audit table and in the governance
// dataset's commit log alike. The ingestion handlers have suites of their own.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governanceBatchId } from '../../src/adapters/aws/dynamodb-audit-log';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import { faultInjection } from '../../src/adapters/aws/fault-injection';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import type { ComputeSummary } from '../../src/contracts/compute-function';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { type AuditEvent, GOVERNANCE_DATASET_ID } from '../../src/domain/guardrails/audit';
import type { ViolationInput } from '../../src/domain/guardrails/violation';
import { LocalCloud } from '../../src/local/local-cloud';
import { generateSampleData } from '../../src/sample/generate';
import { decide, LocalApprovals } from '../support/local-approvals';
import { importRawBatch, rawStoreOf } from '../support/raw-store';
import { BASE_VIOLATION } from '../support/violations';

const DAY = 86_400_000;
const START = Date.UTC(2026, 5, 1);
const DAYS = 3;
const RANGE = {
  from: new Date(START).toISOString(),
  to: new Date(START + DAYS * DAY).toISOString(),
  asOf: new Date(START + (DAYS + 2) * DAY).toISOString(),
};
const APPROVER = 'kpi-owners@example.com';

let cloud: LocalCloud;
let approvals: LocalApprovals;
let trial = 0;
/** What each scenario's crashes covered: function → writes counted → trials run. */
const coverage: Record<string, { writes: number; trials: number }> = {};

beforeAll(async () => {
  // The functions' clients carry the injector (no random faults): crash plans are armed per trial.
  cloud = await LocalCloud.start({ faults: { rate: 0 } });
  approvals = await LocalApprovals.attach(cloud);
}, 300_000);

afterAll(async () => {
  console.info(`crash coverage: ${JSON.stringify(coverage)}`);
  faultInjection.setCrash(null);
  await cloud?.stop();
});

interface Trial {
  /** The first run, which a crash plan may stop. */
  run(): Promise<unknown>;
  /** What happens next on AWS after a crash: the invocation again, a workflow Retry, a second click. */
  rerun(): Promise<unknown>;
  /** The end state, compared with the clean run's. */
  outcome(): Promise<unknown>;
}

/**
 * Runs the scenario once clean (counting the writes of `entry`), then once per write and per side of
 * it with a crash there followed by the rerun, each on fresh inputs, and expects every end state to
 * be the clean one.
 */
async function crashAtEachWrite(entry: string, scenario: () => Promise<Trial>): Promise<void> {
  const clean = await scenario();
  faultInjection.setCrash({ entry, atWrite: Number.MAX_SAFE_INTEGER, when: 'before' });
  await clean.run();
  const writes = faultInjection.stats().writes;
  faultInjection.setCrash(null);
  const expected = await clean.outcome();
  expect(writes, `${entry} wrote nothing in the clean run`).toBeGreaterThan(0);
  coverage[entry] = { writes, trials: 0 };
  for (let atWrite = 1; atWrite <= writes; atWrite++) {
    for (const when of ['before', 'after'] as const) {
      const crashed = await scenario();
      faultInjection.setCrash({ entry, atWrite, when });
      // Whatever the handler made of its death (an error, a wrapped one, a 500), the rerun follows.
      await crashed.run().catch(() => undefined);
      const fired = faultInjection.stats().crashed;
      faultInjection.setCrash(null);
      expect(fired, `${entry}: no crash at write ${atWrite}`).toBe(true);
      await crashed.rerun();
      expect(await crashed.outcome(), `${entry} crashed ${when} write ${atWrite} of ${writes}`).toEqual(expected);
      console.info(`${entry}: crashed ${when} write ${atWrite} of ${writes}, rerun, same end state`);
      coverage[entry].trials += 1;
    }
  }
}

function violationFor(agentId: string, overrides: Partial<ViolationInput> = {}): ViolationInput {
  return {
    ...BASE_VIOLATION,
    dimensions: { agent: agentId },
    governs: { agentId, useCase: 'lead_handoff' },
    ...overrides,
  };
}

/**
 * How the governance dataset holds these events: how many its commit log misses, and how many it
 * names more than once (both 0 when each event reaches the governance KPIs exactly once).
 */
async function governanceCommits(events: readonly AuditEvent[]): Promise<{ uncommitted: number; doubled: number }> {
  const log = new DynamoDbRawCommitLog(cloud.clients.dynamodb, cloud.physicalName('StateTable'));
  const counts = new Map<string, number>();
  for (const entry of await log.entries(GOVERNANCE_DATASET_ID, null, '9999-12-31')) {
    counts.set(entry.batchId, (counts.get(entry.batchId) ?? 0) + 1);
  }
  const times = events.map((event) => counts.get(governanceBatchId(event)) ?? 0);
  return { uncommitted: times.filter((n) => n === 0).length, doubled: times.filter((n) => n > 1).length };
}

/** The commits once none is missing, or as they are after five seconds. */
async function settled(
  probe: () => Promise<{ uncommitted: number; doubled: number }>,
): Promise<{ uncommitted: number; doubled: number }> {
  const until = Date.now() + 5_000;
  for (;;) {
    const commits = await probe();
    if (commits.uncommitted === 0 || Date.now() > until) return commits;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The audit trail of one approval by type, the events a rerun legitimately adds left out. */
async function auditShape(approvalId: string): Promise<Record<string, number>> {
  const events: AuditEvent[] = await approvals.auditOf(BASE_VIOLATION.kpi.id, approvalId);
  const shape: Record<string, number> = {};
  for (const e of events) {
    // A second click on a decided link is refused, and audited as such: not part of the decision.
    if (e.type === 'link_refused' || e.type === 'link_scanned') continue;
    shape[e.type] = (shape[e.type] ?? 0) + 1;
  }
  return { ...shape, ...(await governanceCommits(events)) };
}

/** Where an approval ended: its status, decisions, audit trail, workflow and the agent's mode. */
async function approvalOutcome(approvalId: string, agentId: string) {
  const execution = approvals.execution(approvalId);
  const [waiting] = cloud.stepFunctions.pendingTaskTokens(execution.executionArn);
  if (waiting && (await approvals.request(approvalId))?.status !== 'pending') {
    // The decision is recorded but its callback died with the process: the tier's deadline makes
    // the workflow find it, as on AWS.
    cloud.stepFunctions.expireTask(waiting.token);
  }
  const done = await execution.done;
  const request = await approvals.request(approvalId);
  return {
    status: request?.status,
    decidedBy: request?.outcome?.approver,
    execution: done.status,
    applied: done.history.filter((h) => h.state === 'ApplyDecision' && h.outcome === 'succeeded').length,
    audit: await auditShape(approvalId),
    mode: await approvals.mode({ kind: 'agent', id: agentId }),
  };
}

describe('a crash at each write, then a rerun', () => {
  it('guardrail intake: one approval per violation, started once, audited once', async () => {
    await crashAtEachWrite('guardrail-intake', async () => {
      const agentId = `intake-${++trial}`;
      const violation = violationFor(agentId);
      let approvalId: string | undefined;
      const intake = async () => {
        const { outcomes } = await approvals.intake([violation]);
        approvalId = outcomes[0]?.approvalId ?? approvalId;
      };
      return {
        run: intake,
        rerun: intake,
        outcome: async () => {
          const id = approvalId as string;
          await approvals.emails(id, 0, 1);
          const executions = cloud.stepFunctions.listExecutions().filter((e) => e.name === id);
          const events = await approvals.auditOf(BASE_VIOLATION.kpi.id, id);
          return {
            executions: executions.length,
            requested: events.filter((e) => e.type === 'approval_requested').length,
            received: (
              await approvals.audit.byKpi(BASE_VIOLATION.kpi.id, {
                from: '2000-01-01T00:00:00.000Z',
                to: '2100-01-01T00:00:00.000Z',
              })
            ).filter((e) => e.type === 'violation_received' && e.agentId === agentId).length,
            status: (await approvals.request(id))?.status,
            // The workflow's first steps record their events while this is read: given a moment.
            governance: await settled(() => governanceCommits(events)),
          };
        },
      };
    });
  }, 900_000);

  it('guardrail intake, a low-level violation: the owner told, and the notice audited once', async () => {
    await crashAtEachWrite('guardrail-intake', async () => {
      const agentId = `notice-${++trial}`;
      const intake = () => approvals.intake([violationFor(agentId, { levelOfDecision: 'low' })]);
      return {
        run: intake,
        rerun: intake,
        outcome: async () => {
          const events = (
            await approvals.audit.byKpi(BASE_VIOLATION.kpi.id, {
              from: '2000-01-01T00:00:00.000Z',
              to: '2100-01-01T00:00:00.000Z',
            })
          ).filter((e) => e.agentId === agentId);
          const told = (await approvals.ownerNotices()).filter((n) => n.message.includes(agentId)).length;
          return {
            // At least once: a crash between the publish and its mark sends the notice again.
            told: told >= 1,
            audited: events.filter((e) => e.type === 'owner_notified').length,
            received: events.filter((e) => e.type === 'violation_received').length,
            governance: await settled(() => governanceCommits(events)),
          };
        },
      };
    });
  }, 900_000);

  it('approval page: one decision, recorded and audited once, and applied', async () => {
    await crashAtEachWrite('approval-page', async () => {
      const agentId = `page-${++trial}`;
      const approvalId = await approvals.open(violationFor(agentId));
      const { link } = await approvals.email(approvalId, 0, APPROVER);
      await approvals.waitingToken(approvalId);
      return {
        run: () => decide(link, 'approve', 'handoff p95 over SLA'),
        rerun: () => decide(link, 'approve', 'handoff p95 over SLA'),
        outcome: () => approvalOutcome(approvalId, agentId),
      };
    });
  }, 900_000);

  it('approval steps: each step retried by the workflow ends as a clean approval does', async () => {
    await crashAtEachWrite('approval-steps', async () => {
      const agentId = `steps-${++trial}`;
      let approvalId = '';
      return {
        run: async () => {
          approvalId = await approvals.open(violationFor(agentId));
          const { link } = await approvals.email(approvalId, 0, APPROVER);
          await approvals.waitingToken(approvalId);
          await decide(link, 'approve', 'handoff p95 over SLA');
          await approvals.execution(approvalId).done;
        },
        // The workflow's Retry reran the step that died; nothing for a person to do.
        rerun: async () => undefined,
        outcome: () => approvalOutcome(approvalId, agentId),
      };
    });
  }, 900_000);
});

describe('a crash at each write of the compute and export functions, then a rerun', () => {
  const definitionFile = path.resolve('kpis/definitions/ctr.yaml');
  let values: DynamoDbKpiValueStore;
  let snapshotsBucket: string;

  beforeAll(async () => {
    snapshotsBucket = cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket');
    values = new DynamoDbKpiValueStore({
      client: cloud.clients.dynamodb,
      tableName: cloud.physicalName('ValuesTable'),
    });
    const records = generateSampleData({ start: '2026-06-01', days: DAYS }).ad_performance;
    for (let day = 0; day < DAYS; day += 1) {
      await importRawBatch(rawStoreOf(cloud), {
        dataset: 'ad_performance',
        batchId: `day-${day}`,
        records: records.filter((r) => Math.floor(((r.ts as number) - START) / DAY) === day),
        eventTimeField: 'ts',
      });
    }
  }, 300_000);

  /** Publishes the pack's CTR under a fresh id, so each trial computes from nothing. */
  async function freshKpi(): Promise<string> {
    const kpiId = `ctr_trial_${++trial}`;
    const definition = storedDefinition({ ...readDefinitionFile(definitionFile).definition, id: kpiId });
    const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
      now: () => START,
    });
    await store.publish(definition, { author: 'paid-media@example.com', reason: 'crash trial' });
    return kpiId;
  }

  /** The KPI's values over the range, without its id, their computation time or lineage. */
  async function valuesOf(kpiId: string) {
    const stored = await values.history({ kpiId, dimensions: {}, grain: 'day', from: RANGE.from, to: RANGE.to });
    return stored.map((v) => [v.periodStart, v.value, v.status, v.sampleSize, v.provisional, v.revision]);
  }

  it('compute: the same values, each written once', async () => {
    await crashAtEachWrite('compute', async () => {
      const kpiId = await freshKpi();
      const compute = () => cloud.functions.invoke('compute', { kpiId, ...RANGE }) as Promise<ComputeSummary>;
      return { run: compute, rerun: compute, outcome: () => valuesOf(kpiId) };
    });
  }, 900_000);

  it('snapshot export: the same Parquet files and manifests', async () => {
    const dates = ['2026-06-01', '2026-06-02'];
    const objects = async () => {
      const found: Record<string, string> = {};
      for await (const page of paginateListObjectsV2({ client: cloud.clients.s3 }, { Bucket: snapshotsBucket })) {
        for (const object of page.Contents ?? []) {
          const key = object.Key as string;
          const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: snapshotsBucket, Key: key }));
          const bytes = await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
          // Manifests say when they were written; the rest of them must match.
          const text = Buffer.from(bytes).toString('utf8');
          found[key] = key.endsWith('.json')
            ? JSON.stringify({ ...JSON.parse(text), exportedAt: undefined, generatedAt: undefined })
            : createHash('sha256').update(bytes).digest('hex');
        }
      }
      return found;
    };
    await crashAtEachWrite('export-snapshots', async () => {
      // Each trial exports from nothing.
      for (const key of Object.keys(await objects())) {
        await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket: snapshotsBucket, Key: key }));
      }
      const exportDates = () => cloud.functions.invoke('export-snapshots', { dates });
      return { run: exportDates, rerun: exportDates, outcome: objects };
    });
  }, 900_000);
});

describe('the trials', () => {
  it('covered every write of every handler before and after it', () => {
    for (const entry of ['guardrail-intake', 'approval-page', 'approval-steps', 'compute', 'export-snapshots']) {
      expect(coverage[entry]?.trials, entry).toBe((coverage[entry]?.writes ?? 0) * 2);
    }
  });
});
