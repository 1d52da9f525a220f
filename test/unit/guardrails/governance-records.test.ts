// The audit events the guardrail stage writes are records of kpis/datasets/pipeline_governance.yaml:
// read through that declaration by the pipeline's own reader, none is quarantined.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { governanceRecordKey } from '../../../src/adapters/aws/dynamodb-audit-log';
import { loadDataset, readDataset } from '../../../src/domain/dataset';
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  auditEvent,
  governanceRecord,
  reviewAuditEvent,
} from '../../../src/domain/guardrails/audit';
import { decideApproval, viewApproval } from '../../../src/usecases/guardrails/approval-page';
import { applyDecision, closeTier } from '../../../src/usecases/guardrails/approval-steps';
import { handleViolations } from '../../../src/usecases/guardrails/handle-violations';
import { linkInput, notifyTier, openApproval } from '../../support/approval-flow';
import { guardrailWorld } from '../../support/guardrail-fakes';
import { violation } from '../../support/violations';

const decided = auditEvent(violation(), {
  eventId: 'a1|decision',
  type: 'decision_recorded',
  occurredAt: '2026-11-20T15:42:10.000Z',
  actor: 'approver:ana@example.com',
  approvalId: 'a1',
  decision: 'rejected',
  falseAlarm: true,
  latencyMs: 600_000,
});

async function read(events: readonly AuditEvent[]) {
  const file = 'kpis/datasets/pipeline_governance.yaml';
  const dataset = loadDataset(parse(readFileSync(file, 'utf8')), file);
  const ndjson = events.map((e) => JSON.stringify(governanceRecord(e))).join('\n');
  const reading = readDataset(
    dataset,
    (async function* () {
      yield new TextEncoder().encode(`${ndjson}\n`);
    })(),
    { source: 'test', file: 'governance.ndjson' },
  );
  const records = [];
  const quarantined = [];
  for await (const batch of reading) {
    records.push(...batch.records);
    quarantined.push(...batch.quarantined.map((q) => `${q.field}: ${q.reason}`));
  }
  return { records, quarantined };
}

describe('pipeline_governance records', () => {
  it('are read by the dataset declaration without a quarantined row, for a whole approval', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation({ levelOfDecision: 'critical' }));
    await viewApproval(linkInput(links['ana@example.com'] ?? ''), world);
    await closeTier({ approvalId, tier: 0 }, world);
    const { links: second } = await notifyTier(world, approvalId, 1);
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: null }, world);
    await decideApproval(linkInput(second['lead@example.com'] ?? ''), { decision: 'approved', reason: 'ok' }, world);
    await applyDecision({ approvalId }, world);
    await handleViolations([violation({ levelOfDecision: 'low', kpi: { id: 'ctr' } })], world);
    const { records, quarantined } = await read(world.audit.events);
    expect(quarantined).toEqual([]);
    expect(records).toHaveLength(world.audit.events.length);
  });

  it('carry every audit event type the declaration allows', async () => {
    const { quarantined } = await read(AUDIT_EVENT_TYPES.map((type, i) => ({ ...decided, eventId: `e${i}`, type })));
    expect(quarantined).toEqual([]);
  });

  it('name fields in snake case, with the event time in epoch milliseconds', () => {
    expect(governanceRecord(decided)).toMatchObject({
      event_id: 'a1|decision',
      type: 'decision_recorded',
      occurred_at: Date.parse('2026-11-20T15:42:10.000Z'),
      kpi_id: 'lead_handoff_cycle_time_p95',
      agent_id: 'lead-router-1',
      level_of_decision: 'high',
      approval_id: 'a1',
      decision: 'rejected',
      false_alarm: true,
      latency_ms: 600_000,
    });
  });

  it('carry the review, its kind, the item and its due day for the review loop, read without quarantine', async () => {
    const opened = reviewAuditEvent({
      eventId: 'weekly-operational/2026-W47|item-1|opened',
      type: 'action_item_opened',
      occurredAt: '2026-11-23T09:12:00.000Z',
      actor: 'reviewer:ops-lead@example.com',
      reviewId: 'weekly-operational/2026-W47',
      reviewKind: 'weekly-operational',
      itemId: 'item-1',
      dueAt: '2026-12-01T00:00:00.000Z',
      kpiId: 'data_freshness',
    });
    expect(governanceRecord(opened)).toMatchObject({
      type: 'action_item_opened',
      review_id: 'weekly-operational/2026-W47',
      review_kind: 'weekly-operational',
      item_id: 'item-1',
      due_at: Date.parse('2026-12-01T00:00:00.000Z'),
      kpi_id: 'data_freshness',
      subject: null,
    });
    const { records, quarantined } = await read([opened]);
    expect(quarantined).toEqual([]);
    expect(records[0]).toMatchObject({ item_id: 'item-1', due_at: Date.parse('2026-12-01T00:00:00.000Z') });
  });

  it('say whether the agent went on after a decision: a rejected supervision, or restored autonomy', async () => {
    const world = guardrailWorld();
    const { links } = await openApproval(world, violation({ levelOfDecision: 'critical' }));
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: null }, world);
    const decision = world.audit.events.find((e) => e.type === 'decision_recorded');
    expect(decision?.agentContinued).toBe(true);
    expect(governanceRecord(decision as AuditEvent).agent_continued).toBe(true);
  });

  it('are filed under the hour of their event, as one-record batches in the raw layout of ingestion', () => {
    expect(governanceRecordKey(decided)).toMatch(
      /^raw\/dataset=pipeline_governance\/date=2026-11-20\/hour=15\/audit-[0-9a-f]{40}-0000\.ndjson\.gz$/,
    );
  });
});
