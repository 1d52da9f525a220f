// Real data: the Open Bandit Dataset (ZOZOTOWN recommendation impressions, small version). The CTR
// lift of the Bernoulli Thompson sampling policy over the random one, per day and widget position,
// computed across two datasets (one per policy, each read from its men and women files), against a
// reference from the CSVs. Quirks: an unnamed first column, timestamps with microseconds and an
// offset, and a day and position where random got no click at all (the lift is null, with why).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeFixture } from './compute-fixture';
import { datasetsDir } from './datasets-dir';

const folder = path.join(datasetsDir(), 'zozo-open-bandit-obd-small');
const files = {
  bts: [path.join(folder, 'bts/men/men.csv'), path.join(folder, 'bts/women/women.csv')],
  random: [path.join(folder, 'random/men/men.csv'), path.join(folder, 'random/women/women.csv')],
};
let computed: Awaited<ReturnType<typeof computeFixture>>;

beforeAll(async () => {
  computed = await computeFixture('obd', {
    obd_bts: files.bts,
    obd_random: files.random,
    // One declaration for the four files: the policy and campaign come from their folders.
    obd_impressions: path.join(folder, '{policy}', '{campaign}', '*men.csv'),
  });
});

/** Clicks and impressions per `day|position` and `day|` (all positions) for one policy. */
function tally(list: readonly string[]): Map<string, { clicks: number; shown: number }> {
  const totals = new Map<string, { clicks: number; shown: number }>();
  for (const file of list) {
    // No quotes in these files: plain splitting is a parser of its own, and quick on 100-column rows.
    const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
    const columns = (header as string).split(',');
    const [time, position, click] = ['timestamp', 'position', 'click'].map((name) => columns.indexOf(name));
    for (const line of lines) {
      const cells = line.split(',');
      const day = new Date(Date.parse((cells[time as number] as string).replace(' ', 'T'))).toISOString().slice(0, 10);
      for (const key of [`${day}|${cells[position as number]}`, `${day}|`]) {
        const total = totals.get(key) ?? { clicks: 0, shown: 0 };
        total.clicks += Number(cells[click as number]);
        total.shown += 1;
        totals.set(key, total);
      }
    }
  }
  return totals;
}

describe('Open Bandit Dataset', () => {
  it('reads the four files, unnamed column and microsecond timestamps included, without quarantine', () => {
    expect(computed.reads.map((r) => [r.dataset, r.inputs.length, r.counts.read, r.counts.quarantined])).toEqual([
      ['obd_bts', 2, 20_000, 0],
      ['obd_impressions', 4, 40_000, 0],
      ['obd_random', 2, 20_000, 0],
    ]);
  });

  it('gives the same lift from one declaration whose policy comes from the folders', () => {
    const twoDatasets = computed.values('obd_ctr_lift_bts');
    const oneDataset = computed.values('obd_ctr_lift_bts_by_policy');
    expect(oneDataset.map((v) => [v.periodStart, v.dimensions])).toEqual(
      twoDatasets.map((v) => [v.periodStart, v.dimensions]),
    );
    oneDataset.forEach((value, i) => {
      const expected = twoDatasets[i]?.value ?? null;
      if (expected === null) expect(value.value).toBeNull();
      else expect(value.value).toBeCloseTo(expected, 12);
    });
  });

  it('gives the lift of every day and position, and overall, that tallying the CSVs gives', () => {
    const bts = tally(files.bts);
    const random = tally(files.random);
    const values = computed.values('obd_ctr_lift_bts');
    expect(values).toHaveLength(random.size);
    for (const value of values) {
      const key = `${value.periodStart.slice(0, 10)}|${value.dimensions.position ?? ''}`;
      const b = bts.get(key) ?? { clicks: 0, shown: 0 };
      const r = random.get(key) as { clicks: number; shown: number };
      if (r.clicks === 0) expect(value.value, key).toBeNull();
      else expect(value.value, key).toBeCloseTo(b.clicks / b.shown / (r.clicks / r.shown) - 1, 12);
      expect(value.sampleSize, key).toBe(r.shown);
    }
  });

  it('explains a lift that cannot be computed because random got no click', () => {
    const nulls = computed.values('obd_ctr_lift_bts').filter((v) => v.value === null);
    expect(nulls.length).toBeGreaterThan(0);
    for (const value of nulls) {
      expect(value).toMatchObject({
        status: 'insufficient_data',
        reason: 'division by zero: clicks_random / shown_random is 0',
      });
    }
  });
});
