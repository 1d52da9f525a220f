// Domain: what people read. The approver's email, the owner's notice, and the formatting of values,
// targets and periods shared with the approval page. Plain text, ASCII where email subjects need it.

import { formatDecimal } from '../number-format';
import {
  type ApprovalRequest,
  type ApprovalStart,
  describeSubject,
  effectOfDecision,
  isViolationApproval,
  questionOf,
  safeDefaultOf,
  type TierNotice,
} from './approval';
import { subjectOf } from './autonomy';
import type { GuardrailDecision } from './policy';
import type { Violation } from './violation';

// Not Intl.NumberFormat: its first instance costs every cold start ~14 ms (see number-format.ts).
const number = { format: (value: number) => formatDecimal(value, 2) };
const precise = { format: (value: number) => formatDecimal(value, 4) };

/** A value in the KPI's unit: `7.4 min`, `4.2 %` (percent values are fractions), `USD 1,250`. */
export function formatValue(value: number | null, kpi: Violation['kpi']): string {
  if (value === null) return 'no value';
  switch (kpi.unit) {
    case 'percent':
      return `${number.format(value * 100)} %`;
    case 'ratio':
      return precise.format(value);
    case 'currency':
      return `${kpi.currency ?? ''} ${number.format(value)}`.trim();
    case 'milliseconds':
      return `${number.format(value)} ms`;
    case 'seconds':
      return `${number.format(value)} s`;
    case 'minutes':
      return `${number.format(value)} min`;
    case 'hours':
      return `${number.format(value)} h`;
    case 'days':
      return `${number.format(value)} d`;
    default:
      return number.format(value);
  }
}

function formatBoundary(boundary: number | { min: number; max: number }, kpi: Violation['kpi']): string {
  return typeof boundary === 'number'
    ? formatValue(boundary, kpi)
    : `${formatValue(boundary.min, kpi)} to ${formatValue(boundary.max, kpi)}`;
}

/** `target 5 min; green up to 5 min, yellow up to 6 min, red beyond (lower is better)`. */
export function describeTarget(violation: Violation): string {
  const { target, kpi } = violation;
  if (!target) return 'no target';
  const { green, yellow } = target.thresholds;
  if (target.direction === 'within_band') {
    return `target ${formatBoundary(target.value, kpi)}; green within ${formatBoundary(green, kpi)}, yellow within ${formatBoundary(yellow, kpi)}, red outside`;
  }
  const word = target.direction === 'lower_is_better' ? 'up to' : 'from';
  const better = target.direction === 'lower_is_better' ? 'lower is better' : 'higher is better';
  return `target ${formatBoundary(target.value, kpi)}; green ${word} ${formatBoundary(green, kpi)}, yellow ${word} ${formatBoundary(yellow, kpi)}, red beyond (${better})`;
}

/** `2026-11-20 14:00 UTC`. */
export function formatInstant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `2026-11-20 14:00 to 15:00 UTC (hour)`; `all time (…)` for the all_time grain. */
export function describePeriod(violation: Violation): string {
  if (violation.grain === 'all_time') return 'all time (all_time: every record so far)';
  const { start, end } = violation.period;
  const sameDay = start.slice(0, 10) === end.slice(0, 10);
  const until = sameDay ? end.slice(11, 16) : `${end.slice(0, 10)} ${end.slice(11, 16)}`;
  return `${start.slice(0, 10)} ${start.slice(11, 16)} to ${until} UTC (${violation.grain})`;
}

/** `agent=lead-router-1, channel=web`, or `all (overall)`. */
export function describeDimensions(violation: Violation): string {
  const names = Object.keys(violation.dimensions).sort();
  if (names.length === 0) return 'all (overall)';
  return names.map((name) => `${name}=${violation.dimensions[name] ?? '∅'}`).join(', ');
}

const KIND_WORDS: Record<Violation['kind'], string> = {
  red_status: 'is red',
  drift: 'has drifted',
  data_quality: 'failed a data-quality check',
  at_risk: 'is at risk of turning red',
};

/** `Lead handoff cycle time (p95) is red for agent lead-router-1`. */
export function headline(violation: Violation): string {
  const subject = subjectOf(violation.governs);
  return `${violation.kpi.name} ${KIND_WORDS[violation.kind]}${subject ? ` for ${describeSubject(subject)}` : ''}`;
}

/** An SNS email subject: ASCII, one line, under 100 characters. */
export function emailSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[^\x20-\x7E]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii;
}

function evidenceLines(violation: Violation): string[] {
  const lines = [
    `  ${violation.kpi.name}: ${formatValue(violation.value, violation.kpi)}, status ${violation.status}${violation.provisional ? ' (provisional)' : ''}`,
    `  ${describeTarget(violation)}`,
    `  Period: ${describePeriod(violation)}; dimensions: ${describeDimensions(violation)}`,
    `  ${violation.evidence.summary}`,
  ];
  if (violation.evidence.trend.length > 0) {
    const trend = violation.evidence.trend.map((p) => formatValue(p.value, violation.kpi)).join(', ');
    lines.push(`  Trend (oldest first): ${trend}`);
  }
  const forecast = violation.evidence.forecast;
  if (forecast) {
    const shown = (n: number) => formatValue(n, violation.kpi);
    lines.push(
      `  Forecast for ${formatInstant(forecast.horizonEnd)}: ${shown(forecast.point)} (80 %: ${shown(forecast.lower80)} to ${shown(forecast.upper80)}; 95 %: ${shown(forecast.lower95)} to ${shown(forecast.upper95)}); probability of red ${Math.round(forecast.probabilityRed * 100)} % (at risk above ${Math.round(forecast.atRiskProbability * 100)} %)`,
    );
  }
  return lines;
}

/** What an approval request is about, as one line: the violation's headline or the change. */
export function approvalHeadline(start: ApprovalStart): string {
  return isViolationApproval(start)
    ? headline(start.violation)
    : `Target change of ${start.change.kpi.name} (level of decision ${start.change.kpi.levelOfDecision})`;
}

/** The context an approver reads before deciding: what happened, or what would change and why. */
function contextLines(start: ApprovalStart): string[] {
  if (isViolationApproval(start)) return ['What happened', ...evidenceLines(start.violation)];
  const { change } = start;
  return [
    'What would change',
    `  Proposed by ${change.proposedBy} (${change.source}): ${change.reason}`,
    ...change.changes.map((c) => `  ${c}`),
    ...(change.evidence.length > 0 ? ['', 'Evidence', ...change.evidence.map((e) => `  ${e}`)] : []),
    `  Version ${change.fromVersion} stays in force until this is approved.`,
  ];
}

/** The email one approver receives: the context, the question, the deadline and their own link. */
export function approverEmail(
  request: ApprovalRequest,
  notice: TierNotice,
  approver: string,
  link: string,
): { subject: string; body: string } {
  const next = request.tiers[notice.tier + 1];
  const fallback = next
    ? `Without an answer by then, the request goes to ${next.name}.`
    : `Without an answer by then, the safe default applies: ${safeDefaultOf(request)}`;
  const footer = isViolationApproval(request)
    ? `KPI ${request.violation.kpi.id} v${request.violation.kpi.version} (${request.violation.kpi.hash})`
    : `KPI ${request.change.kpi.id} v${request.change.fromVersion} → proposal ${request.change.proposalId} (${request.change.hash})`;
  const body = [
    `Approval needed: ${approvalHeadline(request)}.`,
    '',
    ...contextLines(request),
    '',
    'What you decide',
    `  ${questionOf(request)}`,
    `  Approve: ${effectOfDecision(request, 'approved')}`,
    `  Reject: ${effectOfDecision(request, 'rejected')}`,
    '',
    `Decide by ${formatInstant(notice.deadline)}. ${fallback}`,
    '',
    'Open this link to see the details and decide. Opening it decides nothing; the page has Approve and Reject buttons.',
    `  ${link}`,
    '',
    `This link is yours alone: it records you (${approver}) as the approver. Please do not forward it.`,
    `${footer}; approval ${request.approvalId}; tier ${notice.tier + 1} of ${request.tiers.length} (${notice.name}).`,
  ].join('\n');
  return {
    subject: emailSubject(`Approval needed by ${formatInstant(notice.deadline)}: ${approvalHeadline(request)}`),
    body,
  };
}

/** The notice a KPI owner receives when the policy only tells them. */
export function ownerEmail(violation: Violation, decision: GuardrailDecision): { subject: string; body: string } {
  const body = [
    `${headline(violation)}.`,
    '',
    ...evidenceLines(violation),
    '',
    `Nothing was changed and nobody was asked to approve: ${decision.reason}`,
    `Level of decision: ${violation.levelOfDecision}. Detected at ${formatInstant(violation.detectedAt)}.`,
    `You receive this as the owner of KPI ${violation.kpi.id} v${violation.kpi.version} (${violation.kpi.hash}).`,
  ].join('\n');
  return { subject: emailSubject(`KPI alert: ${headline(violation)}`), body };
}
