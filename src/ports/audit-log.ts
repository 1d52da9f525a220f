// Port: the audit trail of the guardrail stage (DynamoDB for queries, the governance dataset for KPIs).
import type { AuditEvent } from '../domain/guardrails/audit';

export interface AuditLog {
  /** Records an event once: recording the same `eventId` again changes nothing. */
  record(event: AuditEvent): Promise<void>;
}

/** A half-open time range `[from, to)` of ISO-8601 instants. */
export interface TimeRange {
  readonly from: string;
  readonly to: string;
}

export interface AuditQuery {
  /** Events about one KPI, oldest first. */
  byKpi(kpiId: string, range: TimeRange): Promise<AuditEvent[]>;
  /** Events about one governed subject (`agent#…` or `use_case#…`), oldest first. */
  bySubject(subjectKey: string, range: TimeRange): Promise<AuditEvent[]>;
  /** Every event in a range, oldest first (one query per UTC day). */
  byTime(range: TimeRange): Promise<AuditEvent[]>;
}
