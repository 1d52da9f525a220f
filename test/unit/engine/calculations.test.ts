import { describe, expect, it } from 'vitest';
import { IncompatibleStateError } from '../../../src/domain/definition/errors';
import type { KpiDefinition } from '../../../src/domain/definition/schema';
import { compileKpi } from '../../../src/domain/engine/kpi';
import type { KpiValue } from '../../../src/domain/engine/value';
import type { TypedRecord } from '../../../src/domain/records';
import { at, definition } from '../../support/definitions';

const LATER = at('2030-01-01');

function compute(
  kpi: KpiDefinition,
  records: Record<string, TypedRecord[]>,
  options: { asOf?: number; from?: number; to?: number } = {},
) {
  const accumulator = compileKpi(kpi).accumulator();
  for (const [dataset, list] of Object.entries(records)) accumulator.addAll(dataset, list);
  return accumulator.finalize({ asOf: LATER, ...options });
}

function row(values: readonly KpiValue[], periodStart: string, dimensions: Record<string, unknown> = {}): KpiValue {
  const found = values.find(
    (v) =>
      v.periodStart === new Date(at(periodStart)).toISOString() &&
      JSON.stringify(v.dimensions) === JSON.stringify(dimensions),
  );
  if (!found) throw new Error(`no value for ${periodStart} ${JSON.stringify(dimensions)}`);
  return found;
}

const events = { id: 'events', timeField: 't' };

describe('aggregate', () => {
  const countByChannel = definition({
    datasets: [events],
    calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
    dimensions: ['channel'],
  });
  const records = [
    { t: at('2026-03-02T10:00'), channel: 'email' },
    { t: at('2026-03-02T11:00'), channel: 'email' },
    { t: at('2026-03-02T12:00'), channel: 'paid' },
    { t: at('2026-03-02T13:00'), channel: null },
    { t: at('2026-03-02T14:00'), channel: '' },
  ];

  it('reports an overall row with every record besides the rows per dimension value', () => {
    const { values } = compute(countByChannel, { events: records });
    expect(row(values, '2026-03-02').value).toBe(5);
    expect(row(values, '2026-03-02', { channel: 'email' }).value).toBe(2);
    expect(row(values, '2026-03-02', { channel: 'paid' }).value).toBe(1);
  });

  it('puts records missing the dimension (null or empty) in their own visible group', () => {
    const { values } = compute(countByChannel, { events: records });
    expect(row(values, '2026-03-02', { channel: null }).value).toBe(2);
  });

  it('orders each period as the overall row first, then the groups by value', () => {
    const { values } = compute(countByChannel, { events: records });
    expect(values.map((v) => v.dimensions.channel)).toEqual([undefined, 'email', 'paid', null]);
  });

  it('counts distinct values, keeping 1 and "1" apart', () => {
    const kpi = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count_distinct', field: 'user' },
    });
    const { values } = compute(kpi, {
      events: [
        { t: at('2026-03-02'), user: 'a' },
        { t: at('2026-03-02'), user: 'a' },
        { t: at('2026-03-02'), user: 1 },
        { t: at('2026-03-02'), user: '1' },
        { t: at('2026-03-02'), user: null },
      ],
    });
    expect(row(values, '2026-03-02').value).toBe(3);
  });

  it('averages only the records that have a number', () => {
    const kpi = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'avg', field: 'score' },
    });
    const { values } = compute(kpi, {
      events: [
        { t: at('2026-03-02'), score: 2 },
        { t: at('2026-03-02'), score: 4 },
        { t: at('2026-03-02'), score: null },
      ],
    });
    expect(row(values, '2026-03-02')).toMatchObject({ value: 3, sampleSize: 2 });
  });

  it('takes the min and the max', () => {
    const records = [3, -1, 7].map((x) => ({ t: at('2026-03-02'), x }));
    const min = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'min', field: 'x' },
    });
    const max = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'max', field: 'x' },
    });
    expect(row(compute(min, { events: records }).values, '2026-03-02').value).toBe(-1);
    expect(row(compute(max, { events: records }).values, '2026-03-02').value).toBe(7);
  });

  it('takes the nearest-rank percentile', () => {
    const kpi = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'percentile', field: 'ms', percentile: 90 },
    });
    const records = [50, 10, 40, 20, 30, 100, 90, 80, 70, 60].map((ms) => ({ t: at('2026-03-02'), ms }));
    // 90 % of 10 values is rank 9: the ninth smallest, 90.
    expect(row(compute(kpi, { events: records }).values, '2026-03-02').value).toBe(90);
  });

  it('counts a record whose number field holds text as skipped, not as zero', () => {
    const kpi = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'sum', field: 'spend' },
    });
    const result = compute(kpi, {
      events: [
        { t: at('2026-03-02'), spend: 2.5 },
        { t: at('2026-03-02'), spend: 'n/a' },
      ],
    });
    expect(row(result.values, '2026-03-02').value).toBe(2.5);
    expect(result.skipped).toEqual({ value: { not_a_number: 1 } });
  });

  it('reports records without a usable timestamp as skipped', () => {
    const kpi = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
    });
    const result = compute(kpi, { events: [{ t: at('2026-03-02') }, { t: null }, { t: 'yesterday' }] });
    expect(row(result.values, '2026-03-02').value).toBe(1);
    expect(result.skipped).toEqual({ value: { missing_time: 2 } });
  });
});

describe('time', () => {
  const countPerWeek = definition({
    datasets: [events],
    calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
    grain: 'week',
  });

  it('starts ISO weeks on Monday, UTC', () => {
    // 2026-03-01 is a Sunday, 2026-03-02 a Monday.
    const { values } = compute(countPerWeek, {
      events: [{ t: at('2026-03-01T23:59') }, { t: at('2026-03-02T00:00') }, { t: at('2026-03-08T23:59') }],
    });
    expect(values.map((v) => [v.periodStart, v.value])).toEqual([
      ['2026-02-23T00:00:00.000Z', 1],
      ['2026-03-02T00:00:00.000Z', 2],
    ]);
  });

  it('puts a record at a period boundary in the later period (periods are half-open)', () => {
    const perHour = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
      grain: 'hour',
    });
    const { values } = compute(perHour, { events: [{ t: at('2026-03-02T10:00') - 1 }, { t: at('2026-03-02T10:00') }] });
    expect(values.map((v) => [v.periodStart, v.periodEnd, v.value])).toEqual([
      ['2026-03-02T09:00:00.000Z', '2026-03-02T10:00:00.000Z', 1],
      ['2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z', 1],
    ]);
  });

  it('uses calendar months and quarters', () => {
    const perQuarter = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
      grain: 'quarter',
    });
    const { values } = compute(perQuarter, { events: [{ t: at('2026-03-31T23:59') }, { t: at('2026-04-01') }] });
    expect(values.map((v) => [v.periodStart, v.periodEnd])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
      ['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z'],
    ]);
  });

  it('uses calendar years', () => {
    const perYear = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
      grain: 'year',
    });
    const { values } = compute(perYear, {
      events: [{ t: at('2025-12-31T23:59') }, { t: at('2026-01-01') }, { t: at('2026-07-01') }],
    });
    expect(values.map((v) => [v.periodStart, v.periodEnd, v.value])).toEqual([
      ['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1],
      ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', 2],
    ]);
  });

  // p95 cycle time per sales agent over the whole history: one value per agent.
  const overAllTime = definition({
    datasets: [{ id: 'deals', timeField: 'closed_at' }],
    calculation: { type: 'aggregate', dataset: 'deals', aggregate: 'percentile', percentile: 95, field: 'days' },
    dimensions: ['agent'],
    grain: 'all_time',
  });
  const deals = [
    { closed_at: at('1969-07-20'), agent: 'ana', days: 30 },
    { closed_at: at('2016-01-04'), agent: 'ana', days: 10 },
    { closed_at: at('2026-03-02'), agent: 'bo', days: 5 },
  ];

  it('puts every record of every time in the one all_time period, per group', () => {
    const { values } = compute(overAllTime, { deals });
    expect(values.map((v) => [v.periodStart, v.periodEnd, v.dimensions, v.value, v.sampleSize])).toEqual([
      ['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', {}, 30, 3],
      ['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', { agent: 'ana' }, 30, 2],
      ['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', { agent: 'bo' }, 5, 1],
    ]);
  });

  it('reports the all_time period for any range asked for, always provisional (records can still come)', () => {
    const { values } = compute(overAllTime, { deals }, { from: at('2026-01-01'), to: at('2026-02-01') });
    expect(values).toHaveLength(3);
    expect(values.every((v) => v.provisional && v.grain === 'all_time')).toBe(true);
  });

  it('reads every record, however early, for the all_time period', () => {
    expect(compileKpi(overAllTime).inputRanges(at('2026-01-01'), at('2026-02-01'))).toEqual({
      deals: { from: null, to: Date.UTC(9999, 11, 31, 23, 59, 59, 999) },
    });
  });

  it('reports an overall row for a period without data between periods with data', () => {
    const perDay = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
    });
    const { values } = compute(perDay, { events: [{ t: at('2026-03-01') }, { t: at('2026-03-03') }] });
    expect(row(values, '2026-03-02')).toMatchObject({ value: 0, sampleSize: 0, status: 'insufficient_data' });
  });

  it('reports exactly the periods of the range asked for', () => {
    const perDay = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
    });
    const { values } = compute(
      perDay,
      { events: [{ t: at('2026-03-01') }, { t: at('2026-03-03') }] },
      { from: at('2026-03-02'), to: at('2026-03-05') },
    );
    expect(values.map((v) => [v.periodStart.slice(0, 10), v.value])).toEqual([
      ['2026-03-02', 0],
      ['2026-03-03', 1],
      ['2026-03-04', 0],
    ]);
  });

  it('marks a period that has not ended at the time of computing as provisional', () => {
    const perDay = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
    });
    const { values } = compute(
      perDay,
      { events: [{ t: at('2026-03-01') }, { t: at('2026-03-02') }] },
      { asOf: at('2026-03-02T12:00') },
    );
    expect(values.map((v) => v.provisional)).toEqual([false, true]);
  });
});

describe('ratio', () => {
  const clickThrough = definition({
    datasets: [
      { id: 'impressions', timeField: 'shown_at' },
      { id: 'clicks', timeField: 'clicked_at' },
    ],
    calculation: {
      type: 'ratio',
      numerator: { dataset: 'clicks', aggregate: 'count', filter: { field: 'bot', eq: false } },
      denominator: { dataset: 'impressions', aggregate: 'count' },
    },
    dimensions: [{ name: 'campaign', fields: { impressions: 'campaign_id', clicks: 'utm_campaign' } }],
  });

  it('divides two aggregations of different datasets, each with its own filter and field names', () => {
    const { values } = compute(clickThrough, {
      impressions: [1, 2, 3, 4].map((i) => ({ shown_at: at('2026-03-02') + i, campaign_id: 'spring' })),
      clicks: [
        { clicked_at: at('2026-03-02T09:00'), utm_campaign: 'spring', bot: false },
        { clicked_at: at('2026-03-02T09:00'), utm_campaign: 'spring', bot: true },
      ],
    });
    expect(row(values, '2026-03-02', { campaign: 'spring' })).toMatchObject({
      value: 0.25,
      sampleSize: 4,
      components: { numerator: 1, denominator: 4 },
    });
  });

  it('is null with a reason, and insufficient data, when the denominator is zero', () => {
    const { values } = compute(clickThrough, {
      impressions: [],
      clicks: [{ clicked_at: at('2026-03-02'), utm_campaign: 'spring', bot: false }],
    });
    expect(row(values, '2026-03-02', { campaign: 'spring' })).toMatchObject({
      value: null,
      status: 'insufficient_data',
      reason: 'division by zero: count of impressions is 0',
    });
  });
});

describe('ratio sample size', () => {
  it('counts the denominator value instead of its records when asked (impressions behind a CTR)', () => {
    const ctr = definition({
      datasets: [{ id: 'ads', timeField: 't' }],
      calculation: {
        type: 'ratio',
        numerator: { dataset: 'ads', aggregate: 'sum', field: 'clicks' },
        denominator: { dataset: 'ads', aggregate: 'sum', field: 'impressions' },
        sampleSize: 'denominator',
      },
      minimumSample: 1000,
    });
    const { values } = compute(ctr, { ads: [{ t: at('2026-03-02'), clicks: 9, impressions: 600 }] });
    expect(row(values, '2026-03-02')).toMatchObject({ value: 0.015, sampleSize: 600, status: 'insufficient_data' });
  });
});

describe('arithmetic', () => {
  it('evaluates an expression over measures of several datasets and constants', () => {
    const roi = definition({
      datasets: [
        { id: 'deals', timeField: 'closed_at' },
        { id: 'ads', timeField: 't' },
      ],
      calculation: {
        type: 'arithmetic',
        expression: '(revenue - spend) / spend * 100',
        measures: {
          revenue: { dataset: 'deals', aggregate: 'sum', field: 'amount' },
          spend: { dataset: 'ads', aggregate: 'sum', field: 'cost' },
        },
      },
    });
    const { values } = compute(roi, {
      deals: [{ closed_at: at('2026-03-02'), amount: 300 }],
      ads: [
        { t: at('2026-03-02'), cost: 50 },
        { t: at('2026-03-02'), cost: 50 },
      ],
    });
    expect(row(values, '2026-03-02')).toMatchObject({
      value: 200,
      sampleSize: 1,
      components: { revenue: 300, spend: 100 },
    });
  });
});

describe('arithmetic sample size', () => {
  it('comes from the measure named, instead of the smallest', () => {
    const conformity = definition({
      datasets: [{ id: 'batches', timeField: 't' }],
      calculation: {
        type: 'arithmetic',
        expression: '1 - errors / rows',
        measures: {
          errors: { dataset: 'batches', aggregate: 'sum', field: 'errors', filter: { field: 'kind', eq: 'reason' } },
          rows: { dataset: 'batches', aggregate: 'sum', field: 'rows', filter: { field: 'kind', eq: 'batch' } },
        },
        sampleSize: 'rows',
      },
    });
    const { values } = compute(conformity, {
      batches: [
        { t: at('2026-03-02'), kind: 'batch', rows: 100 },
        { t: at('2026-03-02'), kind: 'batch', rows: 300 },
      ],
    });
    expect(row(values, '2026-03-02')).toMatchObject({ value: 1, sampleSize: 2, status: 'green' });
  });
});

describe('arithmetic sample size by group', () => {
  // Return on ad spend per campaign: a campaign that spent and won nothing is a real −1.
  const roas = (sampleSize?: string) =>
    definition({
      datasets: [
        { id: 'deals', timeField: 'closed_at' },
        { id: 'ads', timeField: 't' },
      ],
      calculation: {
        type: 'arithmetic',
        expression: '(revenue - spend) / spend',
        measures: {
          revenue: { dataset: 'deals', aggregate: 'sum', field: 'amount' },
          spend: { dataset: 'ads', aggregate: 'sum', field: 'cost' },
        },
        ...(sampleSize ? { sampleSize } : {}),
      },
      dimensions: ['campaign'],
    });
  const records = {
    deals: [{ closed_at: at('2026-03-02'), campaign: 'spring', amount: 300 }],
    ads: [
      { t: at('2026-03-02'), campaign: 'spring', cost: 100 },
      { t: at('2026-03-02'), campaign: 'summer', cost: 50 },
    ],
  };

  it('is the smallest measure by default: a group where one term has no records has too small a sample', () => {
    expect(row(compute(roas(), records).values, '2026-03-02', { campaign: 'summer' })).toMatchObject({
      value: -1,
      sampleSize: 0,
      status: 'insufficient_data',
    });
  });

  it('is the named measure when the author says which records are the sample', () => {
    expect(row(compute(roas('spend'), records).values, '2026-03-02', { campaign: 'summer' })).toMatchObject({
      value: -1,
      sampleSize: 1,
      status: 'red',
    });
  });
});

describe('duration', () => {
  const timeToPersonalize = definition({
    datasets: [{ id: 'content', timeField: 'requested_at' }],
    calculation: {
      type: 'duration',
      dataset: 'content',
      start: 'requested_at',
      end: 'delivered_at',
      statistic: 'avg',
      unit: 'seconds',
    },
  });

  it('averages end minus start of each record, in the unit asked for', () => {
    const base = at('2026-03-02T10:00');
    const { values } = compute(timeToPersonalize, {
      content: [
        { requested_at: base, delivered_at: base + 2_000 },
        { requested_at: base, delivered_at: base + 4_000 },
      ],
    });
    expect(row(values, '2026-03-02').value).toBe(3);
  });

  it('drops a negative duration and an unfinished record, and reports both as skipped', () => {
    const base = at('2026-03-02T10:00');
    const result = compute(timeToPersonalize, {
      content: [
        { requested_at: base, delivered_at: base + 2_000 },
        { requested_at: base, delivered_at: base - 1_000 },
        { requested_at: base, delivered_at: null },
      ],
    });
    expect(row(result.values, '2026-03-02')).toMatchObject({ value: 2, sampleSize: 1 });
    expect(result.skipped).toEqual({ durations: { missing_start_or_end: 1, negative_duration: 1 } });
  });
});

describe('conversion', () => {
  const leadToOpportunity = definition({
    datasets: [
      { id: 'leads', timeField: 'created_at' },
      { id: 'opportunities', timeField: 'opened_at' },
    ],
    calculation: {
      type: 'conversion',
      base: { dataset: 'leads', entityKey: 'lead_id' },
      conversion: { dataset: 'opportunities', entityKey: 'lead_id' },
      window: '7d',
    },
    dimensions: ['source'],
  });
  const day = 86_400_000;
  const leads = [
    { lead_id: 'a', created_at: at('2026-03-02'), source: 'web' },
    { lead_id: 'a', created_at: at('2026-03-03'), source: 'event' }, // a later touch of the same lead
    { lead_id: 'b', created_at: at('2026-03-02'), source: 'web' },
    { lead_id: 'c', created_at: at('2026-03-02'), source: 'event' },
  ];
  const opportunities = [
    { lead_id: 'a', opened_at: at('2026-03-02') + 6 * day }, // inside the window
    { lead_id: 'b', opened_at: at('2026-03-02') + 7 * day }, // at the window's end: outside
    { lead_id: 'c', opened_at: at('2026-03-02') - day }, // before the lead: not a conversion of it
  ];

  it('counts an entity as converted when a conversion record comes within the window after its first base record', () => {
    const { values } = compute(leadToOpportunity, { leads, opportunities });
    expect(row(values, '2026-03-02')).toMatchObject({
      value: 1 / 3,
      sampleSize: 3,
      components: { entered: 3, converted: 1 },
    });
  });

  it('takes the dimensions from the entity’s first base record', () => {
    const { values } = compute(leadToOpportunity, { leads, opportunities });
    expect(row(values, '2026-03-02', { source: 'web' })).toMatchObject({ value: 0.5, sampleSize: 2 });
    expect(row(values, '2026-03-02', { source: 'event' })).toMatchObject({ value: 0, sampleSize: 1 });
  });

  it('marks a period provisional until its last entity’s window has closed', () => {
    const closes = at('2026-03-03') + 7 * day;
    expect(compute(leadToOpportunity, { leads, opportunities }, { asOf: closes - 1 }).values[0]?.provisional).toBe(
      true,
    );
    expect(compute(leadToOpportunity, { leads, opportunities }, { asOf: closes }).values[0]?.provisional).toBe(false);
  });
});

describe('entity_duration', () => {
  const handoff = definition({
    datasets: [{ id: 'agent_events', timeField: 'ts' }],
    calculation: {
      type: 'entity_duration',
      start: { dataset: 'agent_events', entityKey: 'lead_id', filter: { field: 'event', eq: 'qualified' } },
      end: { dataset: 'agent_events', entityKey: 'lead_id', filter: { field: 'event', eq: 'handed_off' } },
      statistic: 'percentile',
      percentile: 50,
      unit: 'minutes',
    },
  });

  it('measures from the first start to the first end at or after it, placed at the end', () => {
    const base = at('2026-03-02T23:00');
    const { values } = compute(handoff, {
      agent_events: [
        { ts: base, lead_id: 'a', event: 'qualified' },
        { ts: base + 10 * 60_000, lead_id: 'a', event: 'handed_off' },
        { ts: base + 20 * 60_000, lead_id: 'a', event: 'handed_off' },
        { ts: base + 30 * 60_000, lead_id: 'b', event: 'qualified' },
        { ts: base + 90 * 60_000, lead_id: 'b', event: 'handed_off' },
        { ts: base, lead_id: 'c', event: 'qualified' },
      ],
    });
    // a: 10 min, ending on 03-02; b: 60 min, ending on 03-03; c never handed off.
    expect(row(values, '2026-03-02')).toMatchObject({ value: 10, sampleSize: 1 });
    expect(row(values, '2026-03-03')).toMatchObject({ value: 60, sampleSize: 1 });
  });

  // A deal won before the lead's first contact was recorded: the end comes before the start.
  const contactToWin = (options: Record<string, unknown>) =>
    definition({
      datasets: [
        { id: 'leads', timeField: 'contacted_at' },
        { id: 'deals', timeField: 'won_at' },
      ],
      calculation: {
        type: 'entity_duration',
        start: { dataset: 'leads', entityKey: 'lead' },
        end: { dataset: 'deals', entityKey: 'lead' },
        statistic: 'sum',
        unit: 'days',
        ...options,
      },
    });
  const day = 86_400_000;
  const crm = {
    leads: [
      { contacted_at: at('2026-03-02'), lead: 'on-time' },
      { contacted_at: at('2026-03-05'), lead: 'won-before-contact' },
      { contacted_at: at('2026-03-02'), lead: 'still-open' },
      { contacted_at: at('2026-01-01'), lead: 'won-a-year-on' },
    ],
    deals: [
      { won_at: at('2026-03-04'), lead: 'on-time' },
      { won_at: at('2026-03-04'), lead: 'won-before-contact' },
      { won_at: at('2027-01-10'), lead: 'won-a-year-on' },
    ],
  };

  it('drops an end that comes before its start by default, and counts it with the others dropped, by reason', () => {
    const result = compute(contactToWin({ window: '90d' }), crm);
    expect(row(result.values, '2026-03-04')).toMatchObject({ value: 2, sampleSize: 1 });
    expect(result.skipped).toEqual({ durations: { negative_duration: 1, no_end: 1, outside_window: 1 } });
  });

  it('counts what it drops without a window too', () => {
    const result = compute(contactToWin({}), crm);
    expect(result.skipped).toEqual({ durations: { negative_duration: 1, no_end: 1 } });
    expect(row(result.values, '2027-01-10')).toMatchObject({ value: 374, sampleSize: 1 });
  });

  it('keeps a negative duration when asked, paired with the latest end before the start', () => {
    const result = compute(contactToWin({ window: '90d', negativeDurations: 'keep' }), {
      ...crm,
      deals: [...crm.deals, { won_at: at('2026-03-03'), lead: 'won-before-contact' }],
    });
    // on-time: +2 days; won-before-contact: won 03-03 and 03-04, first contact 03-05: −1 day, placed on 03-04.
    expect(row(result.values, '2026-03-04')).toMatchObject({ value: 1, sampleSize: 2 });
    expect(result.skipped).toEqual({ durations: { no_end: 1, outside_window: 1 } });
  });

  it('drops an end further before the start than the window when keeping negatives', () => {
    const result = compute(contactToWin({ window: '1d', negativeDurations: 'keep' }), crm);
    expect(result.skipped.durations).toMatchObject({ outside_window: 3 });
  });

  it('keeps a period provisional, and reads starts a window ahead, while a later start can still pair into it', () => {
    const kpi = compileKpi(contactToWin({ window: '7d', negativeDurations: 'keep' }));
    expect(kpi.inputRanges(at('2026-03-04'), at('2026-03-05'))).toEqual({
      leads: { from: at('2026-03-04') - 7 * day, to: at('2026-03-05') + 7 * day },
      deals: { from: at('2026-03-04'), to: at('2026-03-05') },
    });
    const accumulator = kpi.accumulator();
    accumulator.addAll('leads', crm.leads);
    accumulator.addAll('deals', crm.deals);
    const early = accumulator.finalize({ asOf: at('2026-03-06'), from: at('2026-03-04'), to: at('2026-03-05') });
    expect(early.values[0]?.provisional).toBe(true);
    const settled = accumulator.finalize({ asOf: at('2026-03-12'), from: at('2026-03-04'), to: at('2026-03-05') });
    expect(settled.values[0]?.provisional).toBe(false);
  });
});

describe('treatment_lift', () => {
  const ctr = {
    type: 'ratio' as const,
    numerator: { dataset: 'ads', aggregate: 'sum' as const, field: 'clicks' },
    denominator: { dataset: 'ads', aggregate: 'sum' as const, field: 'impressions' },
  };
  const ads = [
    { t: at('2026-03-02'), variant: 'agent', clicks: 12, impressions: 100 },
    { t: at('2026-03-02'), variant: 'control', clicks: 10, impressions: 100 },
    { t: at('2026-03-02'), variant: 'holdout', clicks: 99, impressions: 100 },
  ];

  it('is the relative increase of the treatment group over the control group', () => {
    const lift = definition({
      datasets: [{ id: 'ads', timeField: 't' }],
      calculation: { type: 'treatment_lift', of: ctr, field: 'variant', treatment: 'agent', control: 'control' },
    });
    const value = row(compute(lift, { ads }).values, '2026-03-02');
    expect(value.value).toBeCloseTo(0.2, 12);
    expect(value.components).toEqual({ treatment: 0.12, control: 0.1 });
  });

  it('is the relative decrease when the effect sought is a reduction', () => {
    const reduction = definition({
      datasets: [{ id: 'ads', timeField: 't' }],
      calculation: {
        type: 'treatment_lift',
        of: ctr,
        field: 'variant',
        treatment: 'control',
        control: ['agent'],
        effect: 'decrease',
      },
    });
    expect(row(compute(reduction, { ads }).values, '2026-03-02').value).toBeCloseTo(1 / 6, 12);
  });
});

describe('change and streak', () => {
  const monthlySpend = {
    type: 'aggregate' as const,
    dataset: 'ads',
    aggregate: 'sum' as const,
    field: 'cost',
  };
  const spend = (month: string, cost: number) => ({ t: at(`${month}-15`), cost });
  const ads = [
    spend('2026-01', 100),
    spend('2026-02', 120),
    spend('2026-03', 90),
    spend('2026-04', 80),
    spend('2026-05', 70),
  ];

  it('compares with the previous period of the same grain, relatively', () => {
    const change = definition({
      datasets: [{ id: 'ads', timeField: 't' }],
      calculation: { type: 'change', of: monthlySpend },
      grain: 'month',
    });
    const { values } = compute(change, { ads });
    expect(row(values, '2026-02-01')).toMatchObject({ value: 0.2, components: { current: 120, previous: 100 } });
    expect(row(values, '2026-01-01')).toMatchObject({
      value: null,
      status: 'insufficient_data',
      reason: 'previous period value is 0',
    });
  });

  it('compares absolutely when asked', () => {
    const change = definition({
      datasets: [{ id: 'ads', timeField: 't' }],
      calculation: { type: 'change', of: monthlySpend, mode: 'absolute' },
      grain: 'month',
    });
    expect(row(compute(change, { ads }).values, '2026-03-01').value).toBe(-30);
  });

  it('counts how many periods running the value has decreased', () => {
    const streak = definition({
      datasets: [{ id: 'ads', timeField: 't' }],
      calculation: { type: 'streak', of: monthlySpend, direction: 'decreasing' },
      grain: 'month',
    });
    const { values } = compute(streak, { ads });
    expect(values.map((v) => v.value)).toEqual([0, 0, 1, 2, 3]);
  });
});

describe('status', () => {
  it('is insufficient data below the minimum sample, with the reason, while the value is still reported', () => {
    const kpi = definition({
      datasets: [events],
      calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
      minimumSample: 3,
    });
    const { values } = compute(kpi, { events: [{ t: at('2026-03-02') }, { t: at('2026-03-02') }] });
    expect(row(values, '2026-03-02')).toMatchObject({
      value: 2,
      status: 'insufficient_data',
      reason: 'sample of 2 is below the minimum of 3',
    });
  });
});

describe('partial states', () => {
  const kpi = definition({
    datasets: [events],
    calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
  });

  it('refuses to merge a state computed for another calculation', () => {
    const other = compileKpi(
      definition({
        datasets: [events],
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'sum', field: 'x' },
      }),
    );
    const foreign = other.partial('events', [{ t: at('2026-03-02'), x: 1 }]);
    expect(() => compileKpi(kpi).merge([foreign])).toThrow(IncompatibleStateError);
  });

  it('are plain JSON that survives a round trip through text', () => {
    const compiled = compileKpi(kpi);
    const state = compiled.partial('events', [{ t: at('2026-03-02') }]);
    const copy = JSON.parse(JSON.stringify(state));
    expect(compiled.finalize(copy, { asOf: LATER }).values).toEqual(compiled.finalize(state, { asOf: LATER }).values);
  });
});

describe('input ranges', () => {
  it('reach back one period for a change and forward one window for a conversion', () => {
    const kpi = definition({
      datasets: [
        { id: 'leads', timeField: 'created_at' },
        { id: 'deals', timeField: 'won_at' },
      ],
      calculation: {
        type: 'change',
        of: {
          type: 'conversion',
          base: { dataset: 'leads', entityKey: 'id' },
          conversion: { dataset: 'deals', entityKey: 'lead' },
          window: '30d',
        },
      },
      grain: 'month',
    });
    expect(compileKpi(kpi).inputRanges(at('2026-03-01'), at('2026-04-01'))).toEqual({
      leads: { from: at('2026-02-01'), to: at('2026-04-01') },
      deals: { from: at('2026-02-01'), to: at('2026-04-01') + 30 * 86_400_000 },
    });
  });
});
