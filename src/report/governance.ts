// Report: the approvals, audit timeline and autonomy controls of a run, from the guardrail stage's
// tables, in the report model's shape (src/report/model.ts).
import { APPROVAL_STATUSES, describeSubject, isViolationApproval, kpiOfApproval } from '../domain/guardrails/approval';
import type { AutonomySubject } from '../domain/guardrails/autonomy';
import { effectiveMode } from '../domain/guardrails/autonomy';
import type { ApprovalStore } from '../ports/approvals';
import type { AuditQuery, TimeRange } from '../ports/audit-log';
import type { AutonomyControls } from '../ports/autonomy-controls';
import type { ReportModelInput } from './model';

export interface GovernanceSources {
  readonly approvals: Pick<ApprovalStore, 'listRequests'>;
  readonly audit: Pick<AuditQuery, 'byTime'>;
  readonly controls: Pick<AutonomyControls, 'read'>;
}

type GovernanceSection = Pick<ReportModelInput, 'approvals' | 'audit' | 'controls'>;

function subjectFromKey(key: string): AutonomySubject | null {
  const [kind, ...id] = key.split('#');
  if ((kind === 'agent' || kind === 'use_case') && id.length > 0) return { kind, id: id.join('#') };
  return null;
}

/** Every approval (any status), the audit events of `range` oldest first, and the controls they touched. */
export async function governanceReportData(sources: GovernanceSources, range: TimeRange): Promise<GovernanceSection> {
  const requests = (await Promise.all(APPROVAL_STATUSES.map((status) => sources.approvals.listRequests(status, 1000))))
    .flat()
    .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  const events = await sources.audit.byTime(range);
  const subjects = [...new Set(events.flatMap((e) => (e.subject ? [e.subject] : [])))].sort();
  const controls = await Promise.all(
    subjects.map(async (key) => {
      const subject = subjectFromKey(key);
      const state = subject ? await sources.controls.read(subject) : null;
      return {
        subject: subject ? describeSubject(subject) : key,
        mode: state ? effectiveMode(state) : 'unknown',
        changedAt: state?.updatedAt ?? null,
        by: state?.updatedBy ?? null,
      };
    }),
  );
  return {
    approvals: requests.map((r) => ({
      approvalId: r.approvalId,
      kpiId: kpiOfApproval(r).id,
      subject: isViolationApproval(r)
        ? describeSubject(r.subject)
        : `definition of ${r.change.kpi.id}: v${r.change.fromVersion} → proposal ${r.change.proposalId}`,
      status: r.status,
      tier: r.tiers[r.currentTier]?.name,
      requestedAt: r.requestedAt,
      decidedAt: r.outcome?.decidedAt ?? r.closedAt,
      decidedBy: r.outcome?.approver ?? (r.status === 'expired' ? 'safe default (no answer)' : null),
      reason: r.outcome?.reason ?? null,
    })),
    audit: events.map((e) => ({
      at: e.occurredAt,
      type: e.type,
      actor: e.actor,
      subject: e.subject ?? e.kpiId ?? '-',
      detail: [
        e.kpiId,
        e.tierName ? `tier ${e.tierName}` : null,
        e.decision,
        e.fromMode && e.toMode ? `${e.fromMode} → ${e.toMode}` : null,
        e.reason ?? e.detail,
      ]
        .filter((part) => part)
        .join(' · '),
    })),
    controls,
  };
}
