// Report: a review pack's page. The report's own page (tiles, trends with the change log, drill-down,
// lineage, data quality, approvals, audit) with the review's panels first: the scorecard, what changed
// since the previous pack (calibration proposals and KPIs at risk among it), the drift review cases
// with their checklist, the action items, and who signed off. Served from the review link, it also carries the reviewer's form (sign-off, notes,
// action items, closing items, case decisions): a plain POST form that works without script.
// Every value is escaped; the panels are built here, server side, so they read without JavaScript.
// This module holds the page and no schema (no zod): the review-pack function loads it on its first
// render (see lazy-review-page.ts); review-pack.ts validates the document first.
import { formatDecimal } from '../domain/number-format';
import type { ActionItem, SignOff } from '../domain/reviews/action-items';
import type { DriftCase } from '../domain/reviews/drift-cases';
import type { ReviewPack } from '../domain/reviews/pack';
import type { ScorecardEntry } from '../domain/reviews/scorecard';
import {
  DRIFT_DECISION_LABELS,
  DRIFT_DECISIONS,
  describeRisk,
  PROPOSAL_STATUS_LABELS,
  trendArrow,
} from '../domain/reviews/wording';
import type { ReviewNote } from '../ports/review-store';
import { escapeHtml, renderReportPage } from './report-page';
import type { ReviewDocument } from './review-pack';

/** How many new action items the form offers at once. */
export const NEW_ITEM_ROWS = 3;

/** What the served page adds to the stored pack: the live state, and the form when the link may record. */
export interface ReviewPageState {
  /** Whose link it is. */
  readonly reviewer: string;
  readonly signOffs: readonly SignOff[];
  readonly notes: readonly ReviewNote[];
  /** Every action item open now. */
  readonly openItems: readonly ActionItem[];
  /** The pack's drift review cases open now. */
  readonly openCases: readonly DriftCase[];
  /** A message at the top (what a POST recorded, or why it did not). */
  readonly notice?: { readonly kind: 'ok' | 'warn' | 'bad'; readonly title: string; readonly lines: readonly string[] };
  /** Whether to show the form (false once the link has expired). */
  readonly form: boolean;
  /** Today (UTC), `YYYY-MM-DD`: the earliest due day the form offers. */
  readonly today: string;
}

const esc = (value: unknown) => escapeHtml(String(value));

// Not Intl.NumberFormat: its first instance costs every cold start ~14 ms (see number-format.ts).
const number = { format: (value: number) => formatDecimal(value, 2) };
const SUFFIX: Record<string, string> = { milliseconds: 'ms', seconds: 's', minutes: 'min', hours: 'h', days: 'd' };

/** A value in its unit, as the report's tiles show it. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (unit === 'percent') return `${number.format(value * 100)} %`;
  if (unit.startsWith('currency')) return `${number.format(value)} ${unit.slice(9)}`.trim();
  const suffix = SUFFIX[unit];
  return suffix ? `${number.format(value)} ${suffix}` : number.format(value);
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');
const minute = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : '—');
const badge = (status: string | null) =>
  `<span class="badge ${esc(status ?? 'none')}">${esc((status ?? 'no value').replace('_', ' '))}</span>`;
/** The forecast behind an at_risk status, after its badge. */
const risk = (redProbability: number | null, horizon: string | null) =>
  redProbability === null ? '' : ` <span class="risk">${esc(describeRisk(redProbability, horizon))}</span>`;

function table(head: readonly string[], rows: readonly (readonly string[])[], id?: string): string {
  if (rows.length === 0) return '<p class="muted">None.</p>';
  return `<table${id ? ` id="${esc(id)}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function unitOf(pack: ReviewPack, kpiId: string | null): string {
  return pack.scorecard.find((e) => e.kpiId === kpiId)?.unit ?? '';
}

function scorecardPanel(pack: ReviewPack): string {
  const arrow = (e: ScorecardEntry) =>
    e.trend === null
      ? ''
      : `<span class="trend ${esc(e.trendMeaning ?? '')}" title="${esc(e.trendMeaning ?? '')} than the period before">${esc(trendArrow(e.trend))}</span>`;
  const rows = pack.scorecard.map((e) => [
    `<a href="#detail" data-kpi-link="${esc(e.kpiId)}">${esc(e.name)}</a>`,
    esc(e.category.replace(/_/g, ' ')),
    `${esc(formatValue(e.value, e.unit))} ${arrow(e)}`,
    badge(e.status) +
      (e.status === 'at_risk' ? risk(e.redProbability, e.horizon) : '') +
      (e.drifting ? ' <span class="badge drift">drift</span>' : ''),
    esc(day(e.periodStart)),
    e.definitionVersion === null ? '—' : `v${esc(e.definitionVersion)}`,
  ]);
  return `<section class="panel review" id="scorecard" aria-labelledby="scorecard-title"><h2 id="scorecard-title">Scorecard at the end of ${esc(pack.period.label)}</h2>
${table(['KPI', 'category', 'value', 'status', 'period', 'definition'], rows)}</section>`;
}

/** One "what changed" section: its title, and its content or null when it has nothing to say. */
interface ChangeSection {
  /** The section's element id is `change-<id>` (the report's own ids stay clear of that prefix). */
  readonly id: string;
  readonly title: string;
  render(pack: ReviewPack): string | null;
}

/** The sections of "what changed", in order. A new kind of change is a field of the pack and one entry here. */
export const CHANGE_SECTIONS: readonly ChangeSection[] = [
  {
    id: 'status-transitions',
    title: 'Status changes',
    render: ({ changes }) =>
      changes.statusTransitions.length === 0
        ? null
        : table(
            ['KPI', 'was', 'now', 'period'],
            changes.statusTransitions.map((t) => [
              esc(t.name),
              badge(t.from),
              badge(t.to) + risk(t.redProbability, t.horizon),
              esc(day(t.toPeriod)),
            ]),
          ),
  },
  {
    id: 'new-reds',
    title: 'New reds',
    render: (pack) =>
      pack.changes.newReds.length === 0
        ? null
        : table(
            ['KPI', 'first red period', 'red periods', 'latest red value'],
            pack.changes.newReds.map((r) => [
              esc(r.name),
              esc(day(r.firstPeriod)),
              esc(r.periods),
              esc(formatValue(r.value, unitOf(pack, r.kpiId))),
            ]),
          ),
  },
  {
    id: 'new-at-risks',
    title: 'Newly at risk',
    render: (pack) =>
      pack.changes.newAtRisks.length === 0
        ? null
        : table(
            ['KPI', 'first at-risk period', 'at-risk periods', 'latest at-risk value', 'forecast'],
            pack.changes.newAtRisks.map((r) => [
              esc(r.name),
              esc(day(r.firstPeriod)),
              esc(r.periods),
              esc(formatValue(r.value, unitOf(pack, r.kpiId))),
              r.redProbability === null ? '—' : esc(describeRisk(r.redProbability, r.horizon)),
            ]),
          ),
  },
  {
    id: 'new-drifts',
    title: 'New drifts',
    render: ({ changes }) =>
      changes.newDrifts.length === 0
        ? null
        : table(
            ['KPI', 'first drifting period', 'periods', 'direction', 'what the detector said'],
            changes.newDrifts.map((d) => [
              esc(d.name),
              esc(day(d.firstPeriod)),
              esc(d.periods),
              esc(d.direction ?? '—'),
              esc(d.message),
            ]),
          ),
  },
  {
    id: 'restatements',
    title: 'Restatements',
    render: (pack) =>
      pack.changes.restatements.length === 0
        ? null
        : table(
            ['KPI', 'period', 'row', 'was', 'now', 'why', 'restated'],
            pack.changes.restatements.map((r) => {
              const unit = unitOf(pack, r.kpiId);
              return [
                esc(r.name),
                esc(day(r.periodStart)),
                esc(r.dimensions === '*' ? 'overall' : r.dimensions),
                `${esc(formatValue(r.previous.value, unit))} ${badge(r.previous.status)} v${esc(r.previous.definitionVersion)}`,
                `${esc(formatValue(r.current.value, unit))} ${badge(r.current.status)} v${esc(r.current.definitionVersion)}`,
                esc(r.why),
                esc(minute(r.restatedAt)),
              ];
            }),
          ),
  },
  {
    id: 'definition-changes',
    title: 'Definition changes',
    render: ({ changes }) =>
      changes.definitionChanges.length === 0
        ? null
        : table(
            ['KPI', 'change', 'when', 'by', 'reason', 'what changed', 'impact'],
            changes.definitionChanges.map((c) => [
              esc(c.kpiId),
              esc(
                c.action === 'retire'
                  ? `retired (v${c.toVersion})`
                  : c.fromVersion === null
                    ? `v${c.toVersion} published`
                    : `v${c.fromVersion} → v${c.toVersion} (${c.action === 'rollback' ? 'rolled back' : 'published'})`,
              ),
              esc(minute(c.at)),
              esc(c.author),
              esc(c.reason),
              `<div class="diff">${esc(c.diff.join('\n') || (c.fromVersion === null ? 'first version' : '—'))}</div>`,
              esc(
                c.action === 'retire'
                  ? 'no longer computed'
                  : `${c.impact ?? 'none'}${c.requiresRecompute ? ', recompute due' : ''}; ${c.restated} value${c.restated === 1 ? '' : 's'} restated`,
              ),
            ]),
          ),
  },
  {
    id: 'proposals',
    title: 'Calibration proposals',
    render: ({ changes }) =>
      changes.proposals.length === 0
        ? null
        : table(
            ['KPI', 'proposal', 'state', 'made', 'thresholds', 'evidence', 'decision'],
            changes.proposals.map((p) => [
              esc(p.name),
              `${esc(p.proposalId)}<br><span class="muted">${esc(p.source === 'calibration' ? 'calibration' : 'publish held for approval')}, on v${esc(p.baseVersion ?? '—')}</span>`,
              `<span class="proposal ${esc(p.state)}">${esc(PROPOSAL_STATUS_LABELS[p.status])}</span>`,
              `${esc(minute(p.createdAt))} by ${esc(p.author)}<br><span class="muted">${esc(p.reason)}</span>`,
              `${esc(p.current ?? '—')} → ${esc(p.proposed)}`,
              p.evidenceLines.length === 0
                ? '<span class="muted">no evidence recorded</span>'
                : `<div class="diff">${esc(p.evidenceLines.join('\n'))}</div>`,
              p.state === 'open'
                ? p.status === 'awaiting_approval'
                  ? 'waiting for an approver'
                  : `for review: <code>kpi calibrate --kpi ${esc(p.kpiId)}</code> writes it as a file for <code>kpi publish</code>`
                : esc(
                    [
                      `${PROPOSAL_STATUS_LABELS[p.status]} ${minute(p.updatedAt)}`,
                      p.approval?.by ? `by ${p.approval.by}` : '',
                      p.approval?.reason ? `“${p.approval.reason}”` : '',
                      p.publishedVersion === null ? '' : `→ v${p.publishedVersion}`,
                    ]
                      .filter(Boolean)
                      .join(' '),
                  ),
            ]),
          ),
  },
  {
    id: 'approvals',
    title: 'Approvals asked and decided',
    render: ({ changes }) =>
      changes.approvals.length === 0
        ? null
        : table(
            ['when', 'what', 'KPI', 'subject', 'level', 'decision', 'by', 'agent went on', 'minutes'],
            changes.approvals.map((a) => [
              esc(minute(a.at)),
              esc(a.event),
              esc(a.kpiId ?? '—'),
              esc(a.subject ?? '—'),
              esc(a.levelOfDecision ?? '—'),
              esc(a.decision ?? '—'),
              esc(a.approver ?? '—'),
              esc(a.agentContinued === null ? '—' : a.agentContinued ? 'yes (false alarm)' : 'no'),
              esc(a.latencyMinutes ?? '—'),
            ]),
          ),
  },
  {
    id: 'autonomy-changes',
    title: 'Autonomy changes',
    render: ({ changes }) =>
      changes.autonomyChanges.length === 0
        ? null
        : table(
            ['when', 'subject', 'from', 'to', 'by', 'reason'],
            changes.autonomyChanges.map((a) => [
              esc(minute(a.at)),
              esc(a.subject ?? '—'),
              esc(a.from ?? '—'),
              esc(a.to ?? '—'),
              esc(a.actor),
              esc(a.reason ?? '—'),
            ]),
          ),
  },
  {
    id: 'data-quality',
    title: 'Data-quality incidents',
    render: ({ changes }) => {
      const { freshnessBreaches, quarantineSpikes, freshnessLimitMinutes } = changes.dataQuality;
      if (freshnessBreaches.length === 0 && quarantineSpikes.length === 0) return null;
      const pct = (rate: number | null) => (rate === null ? 'no data' : `${number.format(rate * 100)} %`);
      return `<h4>Freshness breaches (batches landing more than ${esc(freshnessLimitMinutes)} min after their newest event)</h4>
${table(
  ['dataset', 'batches', 'worst lag', 'first', 'last'],
  freshnessBreaches.map((b) => [
    esc(b.dataset),
    esc(b.batches),
    esc(formatValue(b.worstLagMinutes, 'minutes')),
    esc(minute(b.firstAt)),
    esc(minute(b.lastAt)),
  ]),
)}
<h4>Quarantine spikes by reason (against the window before)</h4>
${table(
  ['dataset', 'reason', 'rows', 'rate', 'rows before', 'rate before'],
  quarantineSpikes.map((q) => [
    esc(q.dataset),
    esc(q.reason),
    esc(q.rows),
    esc(pct(q.rate)),
    esc(q.baselineRows),
    esc(pct(q.baselineRate)),
  ]),
)}`;
    },
  },
];

function changesPanel(pack: ReviewPack): string {
  const sections = CHANGE_SECTIONS.map((section) => {
    const content = section.render(pack);
    return `<div class="change" id="change-${esc(section.id)}"><h3>${esc(section.title)}</h3>${content ?? '<p class="muted">None.</p>'}</div>`;
  }).join('\n');
  const since = pack.previous
    ? `since the previous pack, ${esc(pack.previous.reviewId)} (built ${esc(minute(pack.previous.asOf))})`
    : 'since the start of the period (no earlier pack)';
  return `<section class="panel review" id="what-changed" aria-labelledby="what-changed-title"><h2 id="what-changed-title">What changed</h2>
<p class="muted">Statuses, reds and drifts: the KPI periods of ${esc(pack.period.label)}. Everything else: ${since}, up to ${esc(minute(pack.window.to))}.</p>
${sections}</section>`;
}

/** The open calibration proposal of the case's KPI, which the "recalibrate" decision hands over to. */
function handOver(pack: ReviewPack, c: DriftCase): string {
  const proposal = pack.changes.proposals.find((p) => p.kpiId === c.kpiId && p.state === 'open');
  return proposal
    ? ` (open: <a href="#change-proposals">${esc(proposal.proposalId)}</a>, ${esc(PROPOSAL_STATUS_LABELS[proposal.status])}, ${esc(proposal.current ?? '—')} → ${esc(proposal.proposed)})`
    : ` (none open: <code>kpi calibrate --kpi ${esc(c.kpiId)}</code> makes one)`;
}

function checklist(pack: ReviewPack, c: DriftCase, open: boolean): string {
  const pct = (rate: number | null) => (rate === null ? '—' : `${number.format(rate * 100)} %`);
  const inputs = table(
    [
      'input dataset',
      'batches',
      'rows',
      'quarantined',
      'by reason',
      'schema conformity',
      'worst freshness',
      'late batches',
    ],
    c.checklist.inputs.map((i) => [
      esc(i.dataset),
      esc(i.batches),
      esc(i.rowsReceived),
      esc(pct(i.quarantineRate)),
      esc(
        Object.entries(i.quarantinedByReason)
          .map(([reason, rows]) => `${reason}: ${rows}`)
          .join(', ') || '—',
      ),
      esc(pct(i.schemaConformity)),
      esc(formatValue(i.worstFreshnessMinutes, 'minutes')),
      esc(i.freshnessBreaches),
    ]),
  );
  const annotations =
    c.checklist.annotations.length === 0
      ? '<p class="muted">No annotation (release, launch) in the window.</p>'
      : `<ul>${c.checklist.annotations
          .map((a) => `<li>${esc(a.label)} (${esc(day(a.from))} → ${esc(day(a.to))}, ${esc(a.effect)})</li>`)
          .join('')}</ul>`;
  // Open on the pack that opened the case; folded on later packs, which list it again.
  return `<details class="checklist"${open ? ' open' : ''}><summary>Checklist</summary><ol><li><strong>Data quality of the inputs over the drifting periods</strong>${inputs}</li>
<li><strong>Annotations in the window</strong>${annotations}</li>
<li><strong>Decide</strong><ul>${DRIFT_DECISIONS.map((d) => `<li>${esc(DRIFT_DECISION_LABELS[d])}${d === 'recalibrate_target' ? handOver(pack, c) : ''}</li>`).join('')}</ul></li></ol></details>`;
}

function casesPanel(pack: ReviewPack, state: ReviewPageState | undefined): string {
  // The served page shows the cases as they stand now; the stored pack, as they stood when it was built.
  const live = state ? new Map(state.openCases.map((c) => [c.caseId, c])) : undefined;
  const cases = pack.cases.map((c) =>
    live && c.status === 'open' && !live.has(c.caseId) ? { ...c, closedSince: true } : c,
  );
  const body =
    cases.length === 0
      ? '<p class="muted">No drift review case is open.</p>'
      : cases
          .map((c) => {
            const closedSince = 'closedSince' in c;
            const decision = c.decision
              ? `<p>Closed: <strong>${esc(DRIFT_DECISION_LABELS[c.decision.option].split(':')[0])}</strong> by ${esc(c.decision.by)} at ${esc(minute(c.decision.at))}${c.decision.note ? `: “${esc(c.decision.note)}”` : ''}</p>`
              : closedSince
                ? '<p>Closed since this pack was built (see the next pack).</p>'
                : '';
            return `<article class="case ${esc(c.status)}" id="case-${esc(c.caseId)}"><h3>${esc(c.kpiName)}: drift ${esc(c.direction ?? '')} since ${esc(day(c.firstPeriod))}${c.openedIn === pack.reviewId ? ' <span class="badge new">new</span>' : ''}</h3>
<p class="muted">${esc(c.periods)} drifting period${c.periods === 1 ? '' : 's'}, last ${esc(day(c.lastPeriod))}: ${esc(c.message)} · opened in ${esc(c.openedIn)}</p>
${decision}${c.status === 'open' && !closedSince ? checklist(pack, c, c.openedIn === pack.reviewId) : ''}</article>`;
          })
          .join('\n');
  return `<section class="panel review" id="cases" aria-labelledby="cases-title"><h2 id="cases-title">Drift review cases</h2>${body}</section>`;
}

function itemRows(items: readonly (ActionItem & { overdue?: boolean; carried?: boolean })[]): string[][] {
  return items.map((i) => [
    esc(i.what),
    esc(i.owner),
    esc(i.due) + (i.overdue ? ' <span class="badge red">overdue</span>' : ''),
    esc(i.kpiId ?? '—'),
    esc(i.reviewId) + (i.carried ? ' <span class="muted">(carried over)</span>' : ''),
    i.status === 'closed'
      ? `closed ${esc(minute(i.closedAt))} by ${esc(i.closedBy ?? '—')}${i.closingNote ? `: “${esc(i.closingNote)}”` : ''}`
      : 'open',
  ]);
}

function itemsPanel(pack: ReviewPack): string {
  const head = ['what', 'owner', 'due', 'KPI', 'raised on', 'state'];
  return `<section class="panel review" id="action-items" aria-labelledby="items-title"><h2 id="items-title">Action items</h2>
<h3>Open (${esc(pack.actionItems.open.length)})</h3>${table(head, itemRows(pack.actionItems.open), 'open-items')}
<h3>Closed since the previous pack (${esc(pack.actionItems.closed.length)})</h3>${table(head, itemRows(pack.actionItems.closed), 'closed-items')}</section>`;
}

function governancePanel(pack: ReviewPack): string {
  const g = pack.governance;
  const precision = g.guardrailPrecision === null ? '—' : `${number.format(g.guardrailPrecision * 100)} %`;
  return `<section class="panel review" id="governance-summary" aria-labelledby="governance-title"><h2 id="governance-title">Governance summary</h2>
<dl class="kv"><dt>Approvals asked</dt><dd>${esc(g.approvalsAsked)}</dd><dt>Decided</dt><dd>${esc(g.approvalsDecided)} (the agent went on after ${esc(g.agentContinued)})</dd>
<dt>Guardrail precision</dt><dd>${esc(precision)} of decisions acted on the alarm</dd><dt>Escalations</dt><dd>${esc(g.escalations)}</dd>
<dt>Safe defaults</dt><dd>${esc(g.safeDefaults)}</dd><dt>Autonomy changes</dt><dd>${esc(g.autonomyChanges)}</dd><dt>Waiting for a decision</dt><dd>${esc(g.openApprovals)}</dd></dl></section>`;
}

function previousPanel(pack: ReviewPack): string {
  if (!pack.previous) return '';
  const { signOffs, notSignedBy, reviewId } = pack.previous;
  const signed =
    signOffs.length === 0
      ? 'nobody signed it off'
      : signOffs
          .map((s) => `${esc(s.reviewer)} (${esc(minute(s.signedAt))}${s.note ? `: “${esc(s.note)}”` : ''})`)
          .join('; ');
  return `<p id="previous-sign-offs">Previous pack ${esc(reviewId)}: signed off by ${signed}.${notSignedBy.length > 0 ? ` Not signed by ${esc(notSignedBy.join(', '))}.` : ''}</p>`;
}

function signOffPanel(pack: ReviewPack, state: ReviewPageState | undefined): string {
  if (!state) {
    return `<section class="panel review" id="sign-off" aria-labelledby="sign-off-title"><h2 id="sign-off-title">Sign-off</h2>
<p>Each member of the audience (${esc(pack.audience.join(', ') || 'none configured')}) signs off, adds notes and action items and decides the open cases through the personal link in their email.</p></section>`;
  }
  const signers = new Set(state.signOffs.map((s) => s.reviewer));
  const signed =
    state.signOffs.length === 0
      ? '<p>Nobody has signed this pack off yet.</p>'
      : `<ul id="sign-offs">${state.signOffs
          .map(
            (s) =>
              `<li><strong>${esc(s.reviewer)}</strong> signed off ${esc(minute(s.signedAt))}${s.note ? `: “${esc(s.note)}”` : ''}</li>`,
          )
          .join('')}</ul>`;
  const missing = pack.audience.filter((a) => !signers.has(a));
  const notes =
    state.notes.length === 0
      ? ''
      : `<h3>Notes</h3><ul id="notes">${state.notes.map((n) => `<li>${esc(n.reviewer)} (${esc(minute(n.at))}): ${esc(n.note)}</li>`).join('')}</ul>`;
  return `<section class="panel review" id="sign-off" aria-labelledby="sign-off-title"><h2 id="sign-off-title">Sign-off</h2>
${signed}${missing.length > 0 ? `<p class="muted">Not signed off yet: ${esc(missing.join(', '))}.</p>` : ''}${notes}
${state.form ? reviewForm(pack, state, signers.has(state.reviewer)) : ''}</section>`;
}

function reviewForm(pack: ReviewPack, state: ReviewPageState, signedAlready: boolean): string {
  const kpiOptions = [
    '<option value="">(none)</option>',
    ...pack.scorecard.map((e) => `<option value="${esc(e.kpiId)}">${esc(e.name)}</option>`),
  ].join('');
  const newItems = Array.from(
    { length: NEW_ITEM_ROWS },
    (_, i) => `<div class="item-row"><label>What<input type="text" name="item${i}.what" maxlength="1000"></label>
<label>Owner (email)<input type="email" name="item${i}.owner" maxlength="254"></label>
<label>Due<input type="date" name="item${i}.due" min="${esc(state.today)}"></label>
<label>KPI<select name="item${i}.kpi">${kpiOptions}</select></label></div>`,
  ).join('');
  const closeItems =
    state.openItems.length === 0
      ? '<p class="muted">No open action item.</p>'
      : state.openItems
          .map(
            (
              i,
            ) => `<div class="close-row"><label><input type="checkbox" name="close" value="${esc(i.itemId)}"> Close “${esc(i.what)}” (${esc(i.owner)}, due ${esc(i.due)})</label>
<label>What was done<input type="text" name="closeNote.${esc(i.itemId)}" maxlength="1000"></label></div>`,
          )
          .join('');
  const cases =
    state.openCases.length === 0
      ? '<p class="muted">No open drift review case.</p>'
      : state.openCases
          .map(
            (
              c,
            ) => `<fieldset class="case-decision"><legend>${esc(c.kpiName)}: drift since ${esc(day(c.firstPeriod))}</legend>
<label><input type="radio" name="case.${esc(c.caseId)}" value="" checked> Decide later</label>
${DRIFT_DECISIONS.map((d) => `<label><input type="radio" name="case.${esc(c.caseId)}" value="${esc(d)}"> ${esc(DRIFT_DECISION_LABELS[d])}</label>`).join('\n')}
<label>Why<input type="text" name="caseNote.${esc(c.caseId)}" maxlength="1000"></label></fieldset>`,
          )
          .join('');
  return `<form method="post" id="review-form">
<fieldset><legend>Your review (${esc(state.reviewer)})</legend>
${signedAlready ? '<p class="muted">You signed this pack off already; you can still add notes and items.</p>' : '<label><input type="checkbox" name="signOff" value="yes"> I reviewed this pack: sign it off</label>'}
<label for="note">Note (kept in the audit trail)</label><textarea id="note" name="note" maxlength="1000"></textarea></fieldset>
<fieldset><legend>New action items</legend>${newItems}</fieldset>
<fieldset><legend>Open action items</legend>${closeItems}</fieldset>
<fieldset><legend>Drift review cases</legend>${cases}</fieldset>
<button type="submit">Record</button></form>`;
}

function noticePanel(state: ReviewPageState | undefined): string {
  if (!state?.notice) return '';
  const { kind, title, lines } = state.notice;
  return `<section class="panel notice ${esc(kind)}" role="status" id="notice"><h2>${esc(title)}</h2>${
    lines.length > 0 ? `<ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''
  }</section>`;
}

const REVIEW_STYLES = `
.review h2 { font-size:17px; } .review h3 { font-size:14px; margin:14px 0 4px; } .review h4 { font-size:13px; margin:10px 0 4px; }
.review .diff { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:12px; white-space:pre-wrap; }
.risk { color:var(--orange); font-size:12px; } .proposal.open { font-weight:600; }
.trend { font-weight:700; } .trend.better { color:var(--green); } .trend.worse { color:var(--red); } .trend.same { color:var(--grey); }
.badge.none, .badge.insufficient, .badge.not { background:var(--grey); } .badge.new { background:#0969da; }
.kv { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; } .kv dt { color:var(--grey); } .kv dd { margin:0; }
.case { border-top:1px solid var(--line); padding-top:8px; margin-top:8px; } .case h3 { margin:4px 0; }
.checklist summary { cursor:pointer; color:#0969da; } .checklist li { margin-bottom:8px; }
.notice { border-left:6px solid var(--grey); } .notice.ok { border-left-color:var(--green); } .notice.warn { border-left-color:var(--yellow); } .notice.bad { border-left-color:var(--red); }
#review-form fieldset { border:1px solid var(--line); border-radius:6px; margin:12px 0; padding:8px 12px; }
#review-form label { display:block; margin:6px 0; } #review-form input[type=text], #review-form input[type=email], #review-form textarea { width:100%; font:inherit; padding:4px 6px; }
#review-form .item-row { display:grid; grid-template-columns:2fr 1.2fr auto 1fr; gap:8px; align-items:end; }
#review-form button { font:inherit; font-weight:600; padding:8px 20px; border-radius:6px; border:1px solid var(--green); background:var(--green); color:#fff; cursor:pointer; }
@media (max-width:700px) { #review-form .item-row { grid-template-columns:1fr; } }
`;

/**
 * The pack's page from a validated document (review-pack.ts validates one first): the stored one (no
 * state: how to sign off) or the one a review link serves (the live sign-offs, notes, items and
 * cases, and the form while the link may record).
 */
export function renderReviewPackPage({ pack, report }: ReviewDocument, state?: ReviewPageState): string {
  const intro = `<section class="panel review" id="review" aria-labelledby="review-title"><h2 id="review-title">${esc(pack.title)} ${esc(pack.period.label)}</h2>
<p>KPI periods ${esc(day(pack.period.start))} → ${esc(day(pack.period.end))} (UTC, end exclusive); built ${esc(minute(pack.asOf))} for ${esc(pack.audience.join(', ') || 'no audience')}.</p>
${previousPanel(pack)}</section>`;
  const prelude = [
    noticePanel(state),
    intro,
    signOffPanel(pack, state),
    scorecardPanel(pack),
    changesPanel(pack),
    casesPanel(pack, state),
    itemsPanel(pack),
    governancePanel(pack),
  ].join('\n');
  return renderReportPage(report, { prelude, styles: REVIEW_STYLES });
}
