// `npm start -- --data DIR`: the whole pipeline on a KPI owner's own files (examples/web-shop),
// with every value checked against a calculation made here from the CSV itself.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipelineOnce } from '../support/local-run';

const dataDir = path.resolve(__dirname, '../../examples/web-shop');
const local = runPipelineOnce(
  { dataDir, decide: 'approve' },
  { functionEnvironment: { DATASETS_DIR: path.join(dataDir, 'datasets') } },
);
const lines = local.lines;

interface Order {
  day: string;
  channel: string;
  amount: number;
  refunded: boolean;
}

/** The well-formed rows of the example export, read without the pipeline's code. */
function orders(): Order[] {
  const [, ...rows] = readFileSync(path.join(dataDir, 'data/orders.csv'), 'utf8').trim().split('\n');
  return rows.flatMap((row) => {
    const [id, at, channel, amount, refunded] = row.split(',');
    const valid =
      /^O\d{5}$/.test(id ?? '') &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(at ?? '') &&
      ['web', 'app', 'marketplace'].includes(channel ?? '') &&
      Number.isFinite(Number(amount)) &&
      (refunded === 'yes' || refunded === 'no');
    return valid
      ? [
          {
            day: (at as string).slice(0, 10),
            channel: channel as string,
            amount: Number(amount),
            refunded: refunded === 'yes',
          },
        ]
      : [];
  });
}

describe('the whole pipeline on your own files (--data)', () => {
  it('takes its window from the events of the files, not from the clock', () => {
    expect(new Date(local.result.window.from).toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(new Date(local.result.window.to).toISOString()).toBe('2026-10-15T00:00:00.000Z');
    expect(lines.some((l) => l.includes('your events span 2026-10-01 → 2026-10-15'))).toBe(true);
  });

  it('publishes the example definitions and quarantines exactly the three broken rows', () => {
    expect(local.result.counts.definitions).toBe(2);
    const rows = readFileSync(path.join(dataDir, 'data/orders.csv'), 'utf8').trim().split('\n').length - 1;
    const quality = local.result.report.dataQuality.find((d) => d.dataset === 'orders');
    expect(quality?.read).toBe(rows);
    expect(quality?.quarantined).toBe(3);
    expect(quality?.valid).toBe(orders().length);
  });

  it('computes every day of average order value and refund rate as the CSV says', () => {
    const byDay = Map.groupBy(orders(), (o) => o.day);
    const aov = local.result.report.kpis.find((k) => k.id === 'average_order_value');
    const refunds = local.result.report.kpis.find((k) => k.id === 'refund_rate');
    expect(aov?.series.length).toBe(14);
    expect(refunds?.series.length).toBe(14);
    for (const point of aov?.series ?? []) {
      const day = byDay.get(point.periodStart.slice(0, 10)) ?? [];
      expect(point.sampleSize).toBe(day.length);
      expect(point.value).toBeCloseTo(day.reduce((n, o) => n + o.amount, 0) / day.length, 9);
    }
    for (const point of refunds?.series ?? []) {
      const day = byDay.get(point.periodStart.slice(0, 10)) ?? [];
      expect(point.value).toBeCloseTo(day.filter((o) => o.refunded).length / day.length, 12);
    }
  });

  it('breaks the latest day down by channel', () => {
    const latest = orders().filter((o) => o.day === '2026-10-14');
    const rows = local.result.report.kpis.find((k) => k.id === 'average_order_value')?.breakdown.channel ?? [];
    for (const [channel, group] of Map.groupBy(latest, (o) => o.channel)) {
      const row = rows.find((r) => r.key === channel);
      expect(row?.value).toBeCloseTo(group.reduce((n, o) => n + o.amount, 0) / group.length, 9);
    }
  });

  it('asks for approval of the red refund rate on the latest day, and the demo approver decides it', () => {
    const latest = local.result.report.kpis.find((k) => k.id === 'refund_rate')?.series.at(-1);
    expect(latest?.status).toBe('red');
    expect(local.result.counts.violations).toBe(1);
    expect(local.result.counts.approvals).toBe(1);
    expect(local.result.report.approvals.map((a) => [a.kpiId, a.status])).toEqual([['refund_rate', 'approved']]);
  });
});
