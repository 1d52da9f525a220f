// HTTP adapter: the approval page as HTML. One self-contained document per answer, readable on a
// phone, with no script and a strict Content-Security-Policy; every value is escaped.
import { createHash } from 'node:crypto';
import {
  type ApprovalRequest,
  effectOfDecision,
  isViolationApproval,
  questionOf,
  safeDefaultOf,
} from '../../domain/guardrails/approval';
import type { ApprovalPage } from '../../domain/guardrails/approval-page-state';
import type { DefinitionChange } from '../../domain/guardrails/definition-change';
import {
  approvalHeadline,
  describeDimensions,
  describePeriod,
  describeTarget,
  formatInstant,
  formatValue,
} from '../../domain/guardrails/messages';
import type { Violation } from '../../domain/guardrails/violation';

export interface RenderedPage {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
:root{color-scheme:light;--red:#cf222e;--orange:#d1580b;--yellow:#bf8700;--green:#1a7f37;--muted:#57606a;--line:#d0d7de}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:44rem;margin:0 auto;padding:1rem}section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
h1{font-size:1.35rem;line-height:1.3;margin:.5rem 0 1rem}h2{font-size:1rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0}
.status{display:inline-block;padding:0 .5rem;border-radius:1rem;color:#fff;font-weight:600;font-size:.85rem}
.status.red{background:var(--red)}.status.at_risk{background:var(--orange)}.status.yellow{background:var(--yellow)}.status.green{background:var(--green)}.status.insufficient_data{background:var(--muted)}
.muted{color:var(--muted);font-size:.9rem}ol{padding-left:1.25rem;margin:0 0 .5rem}li{margin-bottom:.5rem}label{display:block;margin-top:.75rem}
svg.trend line{stroke:var(--red);stroke-width:1;stroke-dasharray:4 3}
.notice{border-left:4px solid var(--muted)}.notice.ok{border-color:var(--green)}.notice.warn{border-color:var(--yellow)}.notice.bad{border-color:var(--red)}
svg.trend{width:100%;height:80px;display:block}svg.trend polyline{fill:none;stroke:#0969da;stroke-width:2}svg.trend circle{fill:#0969da}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid var(--line)}
textarea{width:100%;min-height:4rem;font:inherit;padding:.5rem;border:1px solid var(--line);border-radius:6px}
.actions{display:flex;gap:.75rem;margin-top:.75rem}.actions button{flex:1;font:inherit;font-weight:600;padding:.75rem;border-radius:6px;border:1px solid var(--line);cursor:pointer}
button.approve{background:var(--green);color:#fff}button.reject{background:#fff;color:var(--red);border-color:var(--red)}
footer{color:var(--muted);font-size:.8rem;padding:0 1rem 2rem;max-width:44rem;margin:0 auto;word-break:break-all}
`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * The headers of every page a signed link serves (approval pages, review pages): no caching, no
 * referrer, no framing, no sniffing, and `policy` as the Content-Security-Policy, which should keep
 * `form-action 'self'; base-uri 'none'; frame-ancestors 'none'`.
 */
export function hardenedHeaders(policy: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    // Every answer reflects live state, and the query string carries the link's signature.
    'cache-control': 'no-store',
    'content-security-policy': policy,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}

const SECURITY_HEADERS = hardenedHeaders(
  `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
);

function document(title: string, main: string, footer = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${main}</main>${footer ? `<footer>${footer}</footer>` : ''}</body></html>`;
}

/**
 * A small line of the recent values, oldest first (points only where a value exists), with the
 * boundary beyond which the KPI is red as a dashed line when the definition has one.
 */
function sparkline(violation: Violation): string {
  const points = violation.evidence.trend;
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (values.length < 2) return '';
  const redBoundary = violation.target?.thresholds.yellow;
  const boundary = typeof redBoundary === 'number' ? redBoundary : undefined;
  const scale = boundary === undefined ? values : [...values, boundary];
  const min = Math.min(...scale);
  const span = Math.max(...scale) - min || 1;
  const y = (value: number) => (70 - ((value - min) / span) * 60).toFixed(1);
  const step = 300 / Math.max(points.length - 1, 1);
  const coordinates = points.flatMap((p, i) => (p.value === null ? [] : [[(i * step).toFixed(1), y(p.value)]]));
  const last = coordinates[coordinates.length - 1] ?? ['0', '0'];
  const line =
    boundary === undefined
      ? ''
      : `<line x1="0" x2="300" y1="${y(boundary)}" y2="${y(boundary)}"><title>red beyond ${escapeHtml(formatValue(boundary, violation.kpi))}</title></line>`;
  const rows = points
    .map(
      (p) =>
        `<tr><td>${escapeHtml(formatInstant(p.periodStart))}</td><td>${escapeHtml(formatValue(p.value, violation.kpi))}</td></tr>`,
    )
    .join('');
  return `<svg class="trend" viewBox="-5 0 310 80" preserveAspectRatio="none" role="img" aria-label="Trend of the last ${points.length} periods">
${line}<polyline points="${coordinates.map((c) => c.join(',')).join(' ')}"/><circle cx="${last[0]}" cy="${last[1]}" r="3"/></svg>
<details><summary>Values${boundary === undefined ? '' : ` (dashed: red beyond ${escapeHtml(formatValue(boundary, violation.kpi))})`}</summary><table><thead><tr><th>Period</th><th>Value</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

function violationSection(violation: Violation): string {
  const { kpi } = violation;
  return `<section aria-labelledby="what"><h2 id="what">What happened</h2>
<p>${escapeHtml(violation.evidence.summary)}</p>
<dl>
<dt>KPI</dt><dd>${escapeHtml(kpi.name)}</dd>
<dt>Value</dt><dd><strong id="value">${escapeHtml(formatValue(violation.value, kpi))}</strong> <span class="status ${escapeHtml(violation.status)}">${escapeHtml(violation.status.replace('_', ' '))}</span>${violation.provisional ? ' (provisional)' : ''}</dd>
<dt>Target</dt><dd id="target">${escapeHtml(describeTarget(violation))}</dd>
<dt>Period</dt><dd>${escapeHtml(describePeriod(violation))}</dd>
<dt>Dimensions</dt><dd>${escapeHtml(describeDimensions(violation))}</dd>
<dt>Sample</dt><dd>${violation.sampleSize === null ? 'n/a' : escapeHtml(violation.sampleSize)}</dd>
<dt>Level</dt><dd>${escapeHtml(violation.levelOfDecision)} (${escapeHtml(violation.kind.replace('_', ' '))})</dd>
</dl>${sparkline(violation)}</section>`;
}

/** What would change, and the evidence behind it (a definition change). */
function changeSection(change: DefinitionChange): string {
  const items = (lines: readonly string[]) => lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('');
  return `<section aria-labelledby="what"><h2 id="what">What would change</h2>
<p>${escapeHtml(change.reason)}</p>
<dl>
<dt>KPI</dt><dd>${escapeHtml(change.kpi.name)} (${escapeHtml(change.kpi.id)})</dd>
<dt>In force</dt><dd>version ${escapeHtml(change.fromVersion)}, until this is approved</dd>
<dt>Proposed by</dt><dd>${escapeHtml(change.proposedBy)} (${escapeHtml(change.source)})</dd>
<dt>Level</dt><dd>${escapeHtml(change.kpi.levelOfDecision)} (guardrail change)</dd>
</dl>
<h2>Changes</h2><ol id="changes">${items(change.changes)}</ol>
${change.evidence.length > 0 ? `<h2>Evidence</h2><ol id="evidence">${items(change.evidence)}</ol>` : ''}</section>`;
}

function contextSection(request: ApprovalRequest): string {
  return isViolationApproval(request) ? violationSection(request.violation) : changeSection(request.change);
}

type WithContext = Exclude<ApprovalPage, { kind: 'invalid' }>;

function askedSection(page: WithContext): string {
  const { request, notices, claims } = page;
  const items = request.tiers
    .map((tier, index) => {
      const notice = notices.find((n) => n.tier === index);
      const when = notice
        ? `asked ${escapeHtml(formatInstant(notice.notifiedAt))}, until ${escapeHtml(formatInstant(notice.deadline))}`
        : index < request.currentTier
          ? 'not asked'
          : `asked only if the tier before does not answer (${tier.deadlineMinutes} min to answer)`;
      const who = (notice?.approvers ?? tier.emails)
        .map((e) => (e === claims.approver ? `<strong>${escapeHtml(e)} (you)</strong>` : escapeHtml(e)))
        .join(', ');
      return `<li><strong>${escapeHtml(tier.name)}</strong>: ${who}<br><span class="muted">${when}</span></li>`;
    })
    .join('');
  return `<section aria-labelledby="who"><h2 id="who">Who is asked</h2>
<ol id="tiers">${items}</ol>
<p>Without an answer from the last tier, the safe default applies: ${escapeHtml(safeDefaultOf(request))}</p></section>`;
}

function footerOf(page: WithContext): string {
  const { request } = page;
  const kpi = isViolationApproval(request)
    ? `KPI ${escapeHtml(request.violation.kpi.id)} v${escapeHtml(request.violation.kpi.version)} (${escapeHtml(request.violation.kpi.hash)})`
    : `KPI ${escapeHtml(request.change.kpi.id)} v${escapeHtml(request.change.fromVersion)} → proposal ${escapeHtml(request.change.proposalId)} (${escapeHtml(request.change.hash)})`;
  return `${kpi} · approval ${escapeHtml(request.approvalId)} · link for ${escapeHtml(page.claims.approver)}, tier ${page.claims.tier + 1}`;
}

function decisionSection(page: WithContext, now: number): string {
  const { request, claims } = page;
  const minutes = Math.max(0, Math.round((claims.expiresAt * 1000 - now) / 60_000));
  return `<section aria-labelledby="decide"><h2 id="decide">What you decide</h2>
<p id="proposal">${escapeHtml(questionOf(request))}</p>
<dl><dt>Approve</dt><dd>${escapeHtml(effectOfDecision(request, 'approved'))}</dd>
<dt>Reject</dt><dd>${escapeHtml(effectOfDecision(request, 'rejected'))}</dd>
<dt>Deadline</dt><dd id="deadline">${escapeHtml(formatInstant(new Date(claims.expiresAt * 1000).toISOString()))} (in ${minutes} min)</dd></dl>
<form method="post"><label for="reason">Reason (optional, kept in the audit trail)</label>
<textarea id="reason" name="reason" maxlength="1000"></textarea>
<div class="actions"><button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button></div></form></section>`;
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function notice(kind: 'ok' | 'warn' | 'bad', title: string, text: string): string {
  return `<section class="notice ${kind}" role="status"><h2>${escapeHtml(title)}</h2><p>${text}</p></section>`;
}

function outcomeText(page: WithContext): string {
  const outcome = page.request.outcome;
  if (!outcome) return '';
  const reason = outcome.reason ? ` with the reason “${escapeHtml(outcome.reason)}”` : '';
  return `${outcome.decision === 'approved' ? 'Approved' : 'Rejected'} by ${escapeHtml(outcome.approver)} at ${escapeHtml(formatInstant(outcome.decidedAt))}${reason}. ${escapeHtml(capitalized(effectOfDecision(page.request, outcome.decision)))}`;
}

/**
 * The page for one answer of the approval use cases, with its HTTP status: 200 for the open and
 * recorded pages and a GET of a decided request, 403 for an invalid link, 409 for a POST on a
 * decided or closed request, 410 for an expired or escalated link.
 */
export function renderApprovalPage(page: ApprovalPage, method: 'GET' | 'POST', now: number): RenderedPage {
  const reply = (statusCode: number, html: string) => ({ statusCode, headers: SECURITY_HEADERS, body: html });
  if (page.kind === 'invalid') {
    return reply(
      403,
      document(
        'Link not valid',
        notice(
          'bad',
          'This link is not valid',
          'It was not issued by the approval service, or it was changed after it was sent (the approver, the tier, the expiry or the signature no longer match). Nothing was changed. Open the link exactly as it arrived in your email, or ask the KPI owner for a new request.',
        ),
      ),
    );
  }
  const { request } = page;
  const title = approvalHeadline(request);
  const body = (top: string, decide = '') =>
    `<h1>${escapeHtml(title)}</h1>${top}${contextSection(request)}${decide}${askedSection(page)}`;
  const current = request.tiers[request.currentTier];
  switch (page.kind) {
    case 'open':
      return reply(200, document(`Approval needed: ${title}`, body('', decisionSection(page, now)), footerOf(page)));
    case 'recorded':
      return reply(
        200,
        document(
          'Decision recorded',
          body(notice('ok', 'Your decision is recorded', `${outcomeText(page)} Thank you. You can close this page.`)),
          footerOf(page),
        ),
      );
    case 'decided':
      return reply(
        method === 'GET' ? 200 : 409,
        document(
          'Already decided',
          body(
            notice(
              'warn',
              page.byYou ? 'You decided this request already' : 'Someone decided this request already',
              `${outcomeText(page)} ${method === 'POST' ? 'Your click changed nothing.' : ''}`,
            ),
          ),
          footerOf(page),
        ),
      );
    case 'closed':
      return reply(
        method === 'GET' ? 200 : 409,
        document(
          'Request closed',
          body(
            notice(
              'warn',
              'This request is closed',
              `${request.status === 'failed' ? 'The approval workflow failed and operations were alerted.' : 'Nobody answered before the last deadline.'} The safe default applied: ${escapeHtml(safeDefaultOf(request))} Nothing was changed by this link.`,
            ),
          ),
          footerOf(page),
        ),
      );
    case 'escalated':
      return reply(
        410,
        document(
          'Request escalated',
          body(
            notice(
              'warn',
              'The deadline for your tier has passed',
              `The request moved on to ${escapeHtml(current?.name ?? 'the next tier')}, who received their own links. Your link no longer decides it; nothing was changed.`,
            ),
          ),
          footerOf(page),
        ),
      );
    case 'expired':
      return reply(
        410,
        document(
          'Link expired',
          body(
            notice(
              'warn',
              'This link has expired',
              `It could decide until ${escapeHtml(formatInstant(new Date(page.claims.expiresAt * 1000).toISOString()))}. Nothing was changed.`,
            ),
          ),
          footerOf(page),
        ),
      );
  }
}

/** 405 for a method a page does not serve, with the `Allow` header that HTTP asks of a 405. */
export function renderMethodNotAllowed(allowed: readonly string[]): RenderedPage {
  const page = renderNotice(
    405,
    'Method not allowed',
    `Only ${allowed.join(' and ')} are served here`,
    'Nothing was changed.',
  );
  return { ...page, headers: { ...page.headers, allow: allowed.join(', ') } };
}

/** 400 for a request the page cannot read (a form that is malformed or too large). */
export function renderBadRequest(message: string): RenderedPage {
  return renderNotice(400, 'Bad request', message, 'Nothing was changed.');
}

/** A plain page with one notice (a link that is not valid, a request that is not served). */
export function renderNotice(statusCode: number, title: string, heading: string, text: string): RenderedPage {
  return {
    statusCode,
    headers: SECURITY_HEADERS,
    body: document(title, notice('bad', heading, escapeHtml(text))),
  };
}
