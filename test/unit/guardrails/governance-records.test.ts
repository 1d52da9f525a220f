import { describe, expect, it } from 'vitest';
import { governanceRecordKey } from '../../../src/adapters/aws/dynamodb-audit-log';
import { AUDIT_EVENT_TYPES, auditEvent, governanceRecord } from '../../../src/domain/guardrails/audit';
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

/** The event types of kpis/datasets/pipeline_governance.yaml. */
const DATASET_EVENT_TYPES = [
  'violation',
  'approval_requested',
  'notification_sent',
  'link_viewed',
  'escalation',
  'timeout',
  'decision',
  'action_applied',
];

describe('pipeline_governance records', () => {
  it('names fields as the dataset does, with the event time in epoch milliseconds', () => {
    expect(governanceRecord(decided)).toMatchObject({
      event_id: 'a1|decision',
      occurred_at: Date.parse('2026-11-20T15:42:10.000Z'),
      event_type: 'decision',
      kpi_id: 'lead_handoff_cycle_time_p95',
      agent_id: 'lead-router-1',
      use_case: 'lead_handoff',
      level_of_decision: 'high',
      violation_kind: 'red_status',
      approval_id: 'a1',
      decision: 'rejected',
      false_alarm: true,
    });
  });

  it('uses only event types the dataset declares', () => {
    const types = AUDIT_EVENT_TYPES.map((type) => governanceRecord({ ...decided, type })?.event_type).filter(
      (t) => t !== undefined,
    );
    expect(types.filter((t) => !DATASET_EVENT_TYPES.includes(String(t)))).toEqual([]);
  });

  it('keeps refused links out of the dataset, in the audit table only', () => {
    expect(governanceRecord({ ...decided, type: 'link_refused' })).toBeNull();
  });

  it('files a record under the hour of its event, in the raw layout of ingestion', () => {
    expect(governanceRecordKey(decided)).toMatch(
      /^raw\/dataset=pipeline_governance\/date=2026-11-20\/hour=15\/audit-[0-9a-f]{40}\.ndjson\.gz$/,
    );
  });
});
