// Real data: the Olist marketing funnel (real, anonymised). Leads (MQLs) joined to closed deals by
// mql_id: conversion within 90 days by origin and month of first contact, and the contact-to-win
// cycle, against references computed from the CSVs directly. Quirks: 60 leads have no origin (their
// own group, apart from the 1,099 'unknown'); one deal is won two days before its first contact, which
// is no conversion of that contact and no (negative) cycle.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeFixture, monthOf, nearestRankBySort, readCsv } from './compute-fixture';
import { datasetsDir } from './datasets-dir';

const folder = path.join(datasetsDir(), 'olist-marketing-funnel');
const mqlFile = path.join(folder, 'olist_marketing_qualified_leads_dataset.csv');
const dealFile = path.join(folder, 'olist_closed_deals_dataset.csv');
const mqls = readCsv(mqlFile);
const deals = readCsv(dealFile);
const DAY = 86_400_000;
const contactOf = new Map(mqls.map((m) => [m.mql_id as string, Date.parse(`${m.first_contact_date}T00:00:00Z`)]));
const wonOf = new Map(
  deals.map((d) => [d.mql_id as string, Date.parse(`${(d.won_date as string).replace(' ', 'T')}Z`)]),
);
let computed: Awaited<ReturnType<typeof computeFixture>>;

beforeAll(async () => {
  computed = await computeFixture('olist', { olist_mqls: mqlFile, olist_deals: dealFile });
});

describe('Olist marketing funnel', () => {
  it('reads every lead and every deal without quarantining any', () => {
    expect(computed.reads.map((r) => [r.dataset, r.counts.read, r.counts.quarantined])).toEqual([
      ['olist_deals', deals.length, 0],
      ['olist_mqls', mqls.length, 0],
    ]);
  });

  it('gives the 90-day conversion of every origin and month that joining the CSVs gives', () => {
    const reference = new Map<string, { entered: number; converted: number }>();
    for (const mql of mqls) {
      const contact = contactOf.get(mql.mql_id as string) as number;
      const won = wonOf.get(mql.mql_id as string);
      const converted = won !== undefined && won >= contact && won < contact + 90 * DAY;
      for (const key of [`${monthOf(contact)}|${mql.origin === '' ? 'null' : mql.origin}`, `${monthOf(contact)}|`]) {
        const counts = reference.get(key) ?? { entered: 0, converted: 0 };
        counts.entered += 1;
        if (converted) counts.converted += 1;
        reference.set(key, counts);
      }
    }
    const values = computed.values('olist_mql_to_seller_90d');
    expect(values).toHaveLength(reference.size);
    for (const value of values) {
      const origin = 'origin' in value.dimensions ? String(value.dimensions.origin) : '';
      const counts = reference.get(`${value.periodStart.slice(0, 7)}|${origin}`);
      expect(value.components, `${value.periodStart} ${origin}`).toEqual(counts);
    }
  });

  it('keeps the leads without an origin apart from those whose origin is unknown', () => {
    const values = computed.values('olist_mql_to_seller_90d');
    const entered = (origin: string | null) =>
      values.filter((v) => v.dimensions.origin === origin).reduce((sum, v) => sum + (v.components.entered ?? 0), 0);
    expect(entered(null)).toBe(60);
    expect(entered('unknown')).toBe(1099);
  });

  it('does not count the deal won before its first contact as a conversion of that contact', () => {
    const early = deals.filter(
      (d) => (wonOf.get(d.mql_id as string) as number) < (contactOf.get(d.mql_id as string) as number),
    );
    expect(early).toHaveLength(1);
    const contact = contactOf.get(early[0]?.mql_id as string) as number;
    const total = computed
      .values('olist_mql_to_seller_90d')
      .find((v) => v.periodStart.slice(0, 7) === monthOf(contact) && Object.keys(v.dimensions).length === 0);
    const naive = deals.filter((d) => {
      const c = contactOf.get(d.mql_id as string) as number;
      return monthOf(c) === monthOf(contact) && (wonOf.get(d.mql_id as string) as number) < c + 90 * DAY;
    }).length;
    expect(total?.components.converted).toBe(naive - 1);
  });

  it('gives the median contact-to-win cycle of every month of winning, without the negative cycle', () => {
    const cycles = new Map<string, number[]>();
    for (const deal of deals) {
      const won = wonOf.get(deal.mql_id as string) as number;
      const contact = contactOf.get(deal.mql_id as string) as number;
      if (won < contact) continue;
      cycles.set(monthOf(won), [...(cycles.get(monthOf(won)) ?? []), (won - contact) / DAY]);
    }
    const values = computed.values('olist_contact_to_win_median').filter((v) => v.sampleSize > 0);
    expect(values.map((v) => [v.periodStart.slice(0, 7), v.value, v.sampleSize])).toEqual(
      [...cycles].sort().map(([month, list]) => [month, nearestRankBySort(list, 50), list.length]),
    );
  });

  it('counts the deal won before its first contact, and the leads never won, among the skipped', () => {
    const result = computed.results.find((r) => r.kpi.definition.id === 'olist_contact_to_win_median');
    const won = new Set(deals.map((d) => d.mql_id));
    expect(result?.computation.skipped).toEqual({
      durations: { negative_duration: 1, no_end: mqls.filter((m) => !won.has(m.mql_id)).length },
    });
  });
});
