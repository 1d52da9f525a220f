import { describe, expect, it } from 'vitest';
import { AuditBudget } from '../../../src/domain/guardrails/audit-budget';
import { linkScannerOf } from '../../../src/domain/guardrails/link-scanners';

describe('linkScannerOf', () => {
  it.each([
    ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'Slack link expansion'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro) Microsoft Office/16.0',
      'Microsoft Office link check',
    ],
    ['Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5', 'Microsoft Teams preview'],
    ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'Facebook preview'],
    ['Barracuda Sentinel (EE)', 'Barracuda'],
    ['Mozilla/5.0 (compatible; Google-Safety; +http://www.google.com/bot.html)', 'Google link scanner'],
  ])('names the scanner behind %s', (userAgent, name) => {
    expect(linkScannerOf(userAgent)).toBe(name);
  });

  it("takes a person's browser for a person", () => {
    expect(
      linkScannerOf(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
      ),
    ).toBeNull();
    expect(linkScannerOf(null)).toBeNull();
  });
});

describe('AuditBudget', () => {
  it('lets a burst through, then a steady rate, and counts what it held back', () => {
    const budget = new AuditBudget({ perMinute: 6, burst: 3 });
    expect([0, 0, 0, 0, 0].map(() => budget.take(0).audit)).toEqual([true, true, true, false, false]);
    expect(budget.take(10_000)).toEqual({ audit: true, skippedBefore: 2 });
    expect(budget.take(10_000).audit).toBe(false);
  });

  it('never holds more than its burst after a quiet hour', () => {
    const budget = new AuditBudget({ perMinute: 10, burst: 2 });
    budget.take(0);
    const after = [1, 2, 3].map(() => budget.take(3_600_000).audit);
    expect(after).toEqual([true, true, false]);
  });
});
