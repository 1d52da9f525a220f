// Domain (review): the email each reviewer receives with their own link. Plain text; the subject in
// ASCII under 100 characters, as SNS email subjects need.
import { emailSubject } from '../guardrails/messages';
import type { ReviewPack } from './pack';
import { packHeadline } from './pack';

export function reviewEmail(pack: ReviewPack, link: string, expiresAt: string): { subject: string; body: string } {
  const c = pack.changes;
  const lines = [
    `${pack.title} for ${pack.period.label} (${pack.period.start.slice(0, 10)} to ${pack.period.end.slice(0, 10)}, UTC) is ready.`,
    '',
    `What changed since ${pack.previous ? `the previous pack (${pack.previous.reviewId})` : 'the start of the period'}:`,
    `- status changes: ${c.statusTransitions.length}; new reds: ${c.newReds.map((r) => r.kpiId).join(', ') || 'none'}`,
    `- newly at risk: ${c.newAtRisks.map((r) => (r.redProbability === null ? r.kpiId : `${r.kpiId} (${Math.round(r.redProbability * 100)} % chance of red)`)).join(', ') || 'none'}`,
    `- new drifts: ${c.newDrifts.map((d) => d.kpiId).join(', ') || 'none'}; restatements: ${c.restatements.length}`,
    `- calibration proposals: ${c.proposals.filter((p) => p.status === 'awaiting_approval').length} held for approval, ${c.proposals.filter((p) => p.status === 'proposed').length} for review, ${c.proposals.filter((p) => p.state === 'decided').length} decided`,
    `- definition changes: ${c.definitionChanges.length}; approvals asked: ${pack.governance.approvalsAsked}, decided: ${pack.governance.approvalsDecided}`,
    `- data quality: ${c.dataQuality.freshnessBreaches.length} datasets with freshness breaches, ${c.dataQuality.quarantineSpikes.length} quarantine spikes`,
    `- drift review cases open: ${pack.cases.filter((k) => k.status === 'open').length}; action items open: ${pack.actionItems.open.length} (${pack.actionItems.open.filter((i) => i.overdue).length} overdue)`,
    '',
    'Open the pack, sign it off, add notes and action items, decide the open cases:',
    link,
    '',
    `This link is yours alone (it records your name) and works until ${expiresAt}. Opening it records that you looked; nothing else happens until you submit the form.`,
  ];
  return {
    subject: emailSubject(`${pack.title} ${pack.period.label}: ${packHeadline(pack)}`),
    body: lines.join('\n'),
  };
}
