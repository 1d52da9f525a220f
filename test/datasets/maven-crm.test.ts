// Real data: Maven Analytics CRM + Sales + Opportunities (simulated B2B pipeline). Win rate and the
// engage-to-close cycle by month and sales agent, engaged deals by account, won value by product, against
// references computed from the CSV directly. Quirks: open deals have no close date, prospects no engage
// date; 1,425 deals have no account; the pipeline spells a product GTXPro where products.csv says GTX Pro.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { roundForUnit } from '../../src/domain/values/precision';
import { runKpi } from '../support/cli';
import { computeFixture, monthOf, nearestRankBySort, readCsv } from './compute-fixture';
import { datasetsDir } from './datasets-dir';

const file = path.join(datasetsDir(), 'maven-crm-sales-opportunities', 'sales_pipeline.csv');
const rows = readCsv(file);
const closed = rows.filter((r) => r.close_date !== '');
let computed: Awaited<ReturnType<typeof computeFixture>>;

beforeAll(async () => {
  computed = await computeFixture('maven', { maven_sales_pipeline: file, maven_engagements: file });
});

/** A reference value per `month|agent`, and per `month|` for the overall row. */
function byMonthAndAgent<T>(
  select: (r: Record<string, string>) => boolean,
  summarise: (rows: Record<string, string>[]) => T,
) {
  const groups = new Map<string, Record<string, string>[]>();
  for (const row of closed.filter(select)) {
    const month = row.close_date?.slice(0, 7);
    for (const key of [`${month}|${row.sales_agent}`, `${month}|`]) groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return new Map([...groups].map(([key, list]) => [key, summarise(list)]));
}

function keyOf(value: { periodStart: string; dimensions: Record<string, unknown> }): string {
  return `${value.periodStart.slice(0, 7)}|${value.dimensions.sales_agent ?? ''}`;
}

describe('Maven CRM sales pipeline', () => {
  it('reads every row and quarantines the open deals, which have no close date, as such', () => {
    const read = computed.reads.find((r) => r.dataset === 'maven_sales_pipeline');
    expect(read?.counts).toEqual({
      read: rows.length,
      valid: closed.length,
      quarantined: rows.length - closed.length,
      quarantinedByReason: { missing_event_time: rows.length - closed.length },
    });
    expect(rows.length - closed.length).toBe(2089);
  });

  it('gives the win rate of every agent and month, and overall, that counting the CSV gives', () => {
    const reference = byMonthAndAgent(
      () => true,
      (list) => list.filter((r) => r.deal_stage === 'Won').length / list.length,
    );
    const values = computed.values('maven_win_rate');
    expect(values).toHaveLength(reference.size);
    for (const value of values)
      expect(value.value, keyOf(value)).toBeCloseTo(reference.get(keyOf(value)) as number, 12);
  });

  it('gives the p95 engage-to-close cycle of won deals, in days, by nearest rank', () => {
    const days = (r: Record<string, string>) =>
      (Date.parse(r.close_date as string) - Date.parse(r.engage_date as string)) / 86_400_000;
    const reference = byMonthAndAgent(
      (r) => r.deal_stage === 'Won',
      (list) => nearestRankBySort(list.map(days), 95),
    );
    const values = computed.values('maven_engage_to_close_p95').filter((v) => v.sampleSize > 0);
    expect(values).toHaveLength(reference.size);
    for (const value of values) expect(value.value, keyOf(value)).toBe(reference.get(keyOf(value)));
  });

  it('gives the p95 engage-to-close cycle of each agent over the whole history, in one all_time period', () => {
    const days = new Map<string, number[]>();
    for (const row of closed.filter((r) => r.deal_stage === 'Won')) {
      const cycle = (Date.parse(row.close_date as string) - Date.parse(row.engage_date as string)) / 86_400_000;
      for (const key of [row.sales_agent as string, '']) days.set(key, [...(days.get(key) ?? []), cycle]);
    }
    const values = computed.values('maven_engage_to_close_p95_all_time');
    expect(values).toHaveLength(days.size);
    for (const value of values) {
      const agent = (value.dimensions.sales_agent as string | undefined) ?? '';
      expect([value.periodStart, value.periodEnd]).toEqual(['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']);
      expect(value.value, agent).toBe(nearestRankBySort(days.get(agent) as number[], 95));
      expect(value.sampleSize, agent).toBe(days.get(agent)?.length);
    }
  });

  it('keeps the engaged deals without an account as their own visible group', () => {
    const quarterOf = (date: string) => `${date.slice(0, 4)}-Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;
    const missing = new Map<string, number>();
    for (const row of rows.filter((r) => r.engage_date !== '' && r.account === '')) {
      const quarter = quarterOf(row.engage_date as string);
      missing.set(quarter, (missing.get(quarter) ?? 0) + 1);
    }
    const values = computed.values('maven_engaged_deals_by_account').filter((v) => v.dimensions.account === null);
    expect(values.map((v) => [quarterOf(v.periodStart), v.value])).toEqual([...missing].sort());
    expect([...missing.values()].reduce((a, b) => a + b, 0)).toBe(1088);
  });

  it('groups won value by the product names the pipeline uses, GTXPro included, GTX Pro absent', () => {
    const products = new Set(
      computed
        .values('maven_won_value_by_product')
        .map((v) => v.dimensions.product)
        .filter(Boolean),
    );
    expect(products).toEqual(new Set(closed.filter((r) => r.deal_stage === 'Won').map((r) => r.product)));
    expect(products.has('GTXPro')).toBe(true);
    expect(products.has('GTX Pro')).toBe(false);
  });

  it('puts every closed deal in the month of its close date', () => {
    const total = computed.values('maven_win_rate').filter((v) => Object.keys(v.dimensions).length === 0);
    const months = new Set(closed.map((r) => monthOf(Date.parse(r.close_date as string))));
    expect(new Set(total.map((v) => v.periodStart.slice(0, 7)))).toEqual(months);
    expect(total.reduce((sum, v) => sum + v.sampleSize, 0)).toBe(closed.length);
  });

  it('computes the same values through the kpi command', () => {
    const run = runKpi([
      'compute',
      '--definitions',
      'test/datasets/fixtures/maven/kpis',
      '--datasets',
      'test/datasets/fixtures/maven/datasets',
      '--input',
      `maven_sales_pipeline=${file}`,
      '--input',
      `maven_engagements=${file}`,
      '--as-of',
      '2030-01-01T00:00:00Z',
      '--format',
      'json',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`read maven_sales_pipeline: ${rows.length} rows, ${closed.length} valid`);
    // The command states values in their unit's precision (15 significant digits, money to the cent).
    expect(JSON.parse(run.stdout)).toEqual(
      computed.results.flatMap((r) =>
        r.computation.values.map((v) => ({ ...v, value: roundForUnit(v.value, r.kpi.definition) })),
      ),
    );
  });
});
