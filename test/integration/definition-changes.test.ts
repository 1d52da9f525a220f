// Calibration proposals and gated publishes on the definitions and values tables (dynalite through the
// real SDK clients). The approval workflow is recorded here; the sample run's test drives the real
// one end to end.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot as root } from '../../lib/repo-root';
import { DynamoDbAnnotationStore } from '../../src/adapters/aws/dynamodb-annotation-store';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { kpiDefinitionAndProposalStore } from '../../src/adapters/aws/kpi-proposals';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import type { KpiDefinition } from '../../src/domain/definition/schema';
import { ConflictError, ValidationError } from '../../src/domain/errors';
import type { ChangeApprovalStart } from '../../src/domain/guardrails/approval';
import type { KpiValue } from '../../src/domain/values/kpi-value';
import { LocalCloud } from '../../src/local/local-cloud';
import type { KpiSchedules } from '../../src/ports/kpi-schedules';
import { calibrateKpi, calibrationPeriod, proposeDueCalibrations } from '../../src/usecases/calibrate-kpi';
import { definitionChangesIn } from '../../src/usecases/definition-change-approval';
import { publishKpiDefinition } from '../../src/usecases/publish-kpi-definition';
import { RecordingWorkflow } from '../support/guardrail-fakes';
import { sampleValue } from '../support/kpi-values';

const pack = (id: string): KpiDefinition =>
  storedDefinition(readDefinitionFile(path.join(root, 'kpis', 'definitions', `${id}.yaml`)).definition);
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

let cloud: LocalCloud;
let store: ReturnType<typeof kpiDefinitionAndProposalStore>;
let values: DynamoDbKpiValueStore;
const schedules: KpiSchedules = {
  ensure: async () => 'unchanged',
  remove: async () => 'absent',
  names: async () => [],
};
const by = { author: 'ana@example.com', reason: 'tighter target' };
let approvals = 0;

function deps(workflow: RecordingWorkflow | null = new RecordingWorkflow()) {
  return {
    store,
    schedules,
    workflow,
    values,
    clock: { now: () => NOW },
    newApprovalId: () => `00000000-0000-4000-8000-${String(++approvals).padStart(12, '0')}`,
  };
}

/** Daily overall values of `kpiId` for the 28 days before NOW: weekdays `weekday`, weekends `weekend`. */
async function storeHistory(kpiId: string, weekday: number, weekend: number): Promise<void> {
  const start = NOW - (NOW % DAY) - 28 * DAY;
  const series: KpiValue[] = Array.from({ length: 28 }, (_, i) => {
    const day = new Date(start + i * DAY);
    const weekendDay = day.getUTCDay() === 0 || day.getUTCDay() === 6;
    return sampleValue({
      kpiId,
      dimensions: {},
      periodStart: day.toISOString(),
      periodEnd: new Date(start + (i + 1) * DAY).toISOString(),
      value: (weekendDay ? weekend : weekday) + (i % 3) * 0.001,
      status: 'green',
    });
  });
  await values.write(series);
}

beforeAll(async () => {
  cloud = await LocalCloud.start();
  store = kpiDefinitionAndProposalStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
    now: () => NOW,
  });
  values = new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: cloud.physicalName('ValuesTable') });
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('a guardrail change of a high KPI', () => {
  it('waits for an approval, the version in force staying until then', async () => {
    const active = pack('runtime_error_rate');
    await store.publish(active, by);
    const workflow = new RecordingWorkflow();
    const tighter = {
      ...active,
      target: { ...active.target, thresholds: { green: 0.015, yellow: 0.04 } },
    } as KpiDefinition;
    const result = await publishKpiDefinition(deps(workflow), tighter, by);
    expect(result).toMatchObject({ outcome: 'awaiting_approval', activeVersion: 1 });
    expect((await store.get(active.id))?.version).toBe(1);
    if (result.outcome !== 'awaiting_approval') throw new Error('not held');
    const proposal = await store.getProposal(active.id, result.proposalId);
    expect(proposal).toMatchObject({
      status: 'awaiting_approval',
      source: 'publish',
      approval: { id: result.approvalId },
    });
    const start = workflow.started.get(result.approvalId) as ChangeApprovalStart;
    expect(start.proposal).toBe('publish_definition');
    expect(start.change).toMatchObject({ fromVersion: 1, proposalId: result.proposalId, proposedBy: by.author });
    expect(start.change.changes.join('\n')).toContain('target.thresholds.green');
    // The stored values are re-evaluated for the approver: none stored yet for this KPI.
    expect(proposal?.impact).toMatchObject({ periods: 0 });

    // Publishing the same file again asks nothing new; another change is refused meanwhile.
    const again = await publishKpiDefinition(deps(workflow), tighter, by);
    expect(again).toMatchObject({ outcome: 'awaiting_approval', approvalId: result.approvalId });
    const other = {
      ...tighter,
      target: { ...tighter.target, thresholds: { green: 0.01, yellow: 0.03 } },
    } as KpiDefinition;
    await expect(publishKpiDefinition(deps(workflow), other, by)).rejects.toBeInstanceOf(ConflictError);
  });

  it('is published once approved, the change log naming the proposal, its evidence and the approver', async () => {
    const active = pack('time_to_personalize');
    await store.publish(active, by);
    const workflow = new RecordingWorkflow();
    const looser = {
      ...active,
      target: { ...active.target, thresholds: { green: 5000, yellow: 9000 } },
    } as KpiDefinition;
    const held = await publishKpiDefinition(deps(workflow), looser, by);
    if (held.outcome !== 'awaiting_approval') throw new Error('not held');
    const { change } = workflow.started.get(held.approvalId) as ChangeApprovalStart;
    const approval = {
      approvalId: held.approvalId,
      approver: 'lead@example.com',
      decidedAt: NOW + 60_000,
      reason: 'ok',
    };
    const changes = definitionChangesIn(store);
    expect(await changes.publish(change, approval)).toEqual({ outcome: 'published', version: 2 });
    // The workflow retries a step that timed out: the second run publishes nothing more.
    expect(await changes.publish(change, approval)).toEqual({ outcome: 'published', version: 2 });
    const state = await store.get(active.id);
    expect(state?.version).toBe(2);
    expect(state?.lastChange).toMatchObject({
      author: by.author,
      proposal: { id: held.proposalId, source: 'publish' },
      approval: { id: held.approvalId, approver: 'lead@example.com', reason: 'ok' },
    });
    expect(await store.getProposal(active.id, held.proposalId)).toMatchObject({
      status: 'published',
      publishedVersion: 2,
      approval: { decidedBy: 'lead@example.com' },
    });
  });

  it('stays unpublished when rejected', async () => {
    const active = pack('uptime');
    await store.publish(active, by);
    const workflow = new RecordingWorkflow();
    const held = await publishKpiDefinition(
      deps(workflow),
      { ...active, target: { ...active.target, thresholds: { green: 0.9, yellow: 0.8 } } } as KpiDefinition,
      by,
    );
    if (held.outcome !== 'awaiting_approval') throw new Error('not held');
    const { change } = workflow.started.get(held.approvalId) as ChangeApprovalStart;
    await definitionChangesIn(store).close(change, 'rejected', {
      approvalId: held.approvalId,
      approver: 'lead@example.com',
      decidedAt: NOW,
      reason: 'too loose',
    });
    expect((await store.get(active.id))?.version).toBe(1);
    expect(await store.getProposal(active.id, held.proposalId)).toMatchObject({ status: 'rejected' });
  });

  it('is not applied when another version went in force meanwhile', async () => {
    const active = pack('bid_latency_p95');
    await store.publish(active, by);
    const workflow = new RecordingWorkflow();
    const held = await publishKpiDefinition(
      deps(workflow),
      { ...active, target: { ...active.target, thresholds: { green: 100, yellow: 200 } } } as KpiDefinition,
      by,
    );
    if (held.outcome !== 'awaiting_approval') throw new Error('not held');
    await store.publish({ ...active, description: 'Edited meanwhile.' }, by);
    const { change } = workflow.started.get(held.approvalId) as ChangeApprovalStart;
    const applied = await definitionChangesIn(store).publish(change, {
      approvalId: held.approvalId,
      approver: 'lead@example.com',
      decidedAt: NOW,
      reason: null,
    });
    expect(applied).toEqual({ outcome: 'stale', activeVersion: 2 });
    expect(await store.getProposal(active.id, held.proposalId)).toMatchObject({ status: 'superseded' });
  });

  it('needs the approval even when the same change lowers the level of decision', async () => {
    const active = pack('sla_adherence');
    await store.publish(active, by);
    const lowered = {
      ...active,
      target: { ...active.target, thresholds: { green: 0.8, yellow: 0.7 } },
      guardrail: { ...active.guardrail, levelOfDecision: 'low' },
    } as KpiDefinition;
    expect(await publishKpiDefinition(deps(), lowered, by)).toMatchObject({ outcome: 'awaiting_approval' });
  });

  it('refuses to change the cadence in the same publish, or without a workflow at hand', async () => {
    const active = pack('ad_spend');
    await store.publish(active, by);
    const target = { ...active.target, thresholds: { green: 1, yellow: 2 } } as KpiDefinition['target'];
    await expect(
      publishKpiDefinition(deps(), { ...active, target, cadence: 'daily' } as KpiDefinition, by),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(publishKpiDefinition(deps(null), { ...active, target }, by)).rejects.toBeInstanceOf(ValidationError);
  });

  it('publishes at once on a KPI whose level of decision is low', async () => {
    const active = pack('ctr');
    await store.publish(active, by);
    const changed = { ...active, target: { ...active.target, thresholds: { green: 0.05, yellow: 0.03 } } };
    expect(await publishKpiDefinition(deps(), changed as KpiDefinition, by)).toMatchObject({
      outcome: 'published',
      version: 2,
      proposalId: null,
    });
  });
});

describe('calibration proposals', () => {
  const settings = {
    cadence: 'weekly' as const,
    method: { type: 'control_limits' as const, green: 1, yellow: 2 },
    lookback: 28,
    minPeriods: 14,
  };
  const calibrationDeps = () => ({
    store,
    values,
    annotations: new DynamoDbAnnotationStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable')),
    clock: { now: () => NOW },
  });

  it('proposes thresholds from the stored history, with the evidence and the impact on each period', async () => {
    const active = { ...pack('conversion_rate'), calibration: settings } as KpiDefinition;
    await store.publish(active, by);
    await storeHistory(active.id, 0.05, 0.03);
    const result = await calibrateKpi(calibrationDeps(), {
      kpiId: active.id,
      proposalId: 'calibration-test',
      author: 'calibration',
      reason: 'weekly calibration',
    });
    if (result.kind !== 'proposed') throw new Error(result.kind);
    expect(result.created).toBe(true);
    expect(result.impact).toHaveLength(28);
    const stored = await store.getProposal(active.id, 'calibration-test');
    expect(stored).toMatchObject({ status: 'proposed', source: 'calibration', baseVersion: 1 });
    expect(stored?.evidence).toMatchObject({ used: 28, seasonality: 'day_of_week' });
    expect(stored?.impact?.periods).toBe(28);
    // Measured from the weekend median (about 0.031), higher being better.
    const proposed = stored?.definition.target.thresholds as { green: number; yellow: number };
    expect(proposed.green).toBeLessThan(0.031);
    expect(proposed.yellow).toBeLessThan(proposed.green);

    // Publishing the proposed content (a low KPI) puts it in force and names the proposal.
    const published = await publishKpiDefinition(deps(), stored?.definition as KpiDefinition, by);
    expect(published).toMatchObject({ outcome: 'published', proposalId: 'calibration-test' });
    expect((await store.get(active.id))?.lastChange.proposal).toMatchObject({
      id: 'calibration-test',
      source: 'calibration',
    });
    expect((await store.getProposal(active.id, 'calibration-test'))?.status).toBe('published');
  });

  it('makes one proposal per cadence period for each KPI with calibration settings', async () => {
    const active = { ...pack('retry_rate'), calibration: settings } as KpiDefinition;
    await store.publish(active, by);
    await storeHistory(active.id, 0.02, 0.01);
    const first = await proposeDueCalibrations(calibrationDeps(), NOW);
    const id = `calibration-${calibrationPeriod('weekly', NOW)}`;
    expect(first).toContainEqual({ kpiId: active.id, proposalId: id, result: 'proposed' });
    const second = await proposeDueCalibrations(calibrationDeps(), NOW + DAY);
    expect(second).toContainEqual({ kpiId: active.id, proposalId: id, result: 'already_proposed' });
    expect((await store.listProposals({ kpiId: active.id })).map((p) => p.id)).toEqual([id]);
  });

  it('names the ISO week or the month a proposal is due for', () => {
    expect(calibrationPeriod('weekly', Date.parse('2026-11-20T12:00:00Z'))).toBe('2026-w47');
    expect(calibrationPeriod('weekly', Date.parse('2027-01-01T00:00:00Z'))).toBe('2026-w53');
    expect(calibrationPeriod('monthly', Date.parse('2026-11-20T12:00:00Z'))).toBe('2026-11');
  });
});
