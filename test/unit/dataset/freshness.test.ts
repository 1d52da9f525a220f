import { describe, expect, it } from 'vitest';
import {
  assessFreshness,
  type DatasetDeclaration,
  DatasetDeclarationError,
  freshnessLimits,
  freshnessNotice,
  freshnessRecord,
  freshnessTransition,
  humanDuration,
  validateDatasetDeclaration,
} from '../../../src/domain/dataset';
import { describeDeclarationChanges } from '../../../src/domain/dataset/declaration-changes';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2026-06-10T12:00:00Z');

const declaration = (extra: Record<string, unknown> = {}): DatasetDeclaration =>
  validateDatasetDeclaration(
    {
      id: 'ad_report',
      description: 'hourly ad report',
      owner: 'paid-media@example.com',
      freshness: { expectedEvery: '1h', warnAfter: '2h', failAfter: '6h' },
      format: { type: 'csv' },
      fields: { at: { type: 'timestamp', required: true } },
      eventTime: 'at',
      ...extra,
    },
    'datasets/ad_report.yaml',
  );

const problemsOf = (extra: Record<string, unknown>): string[] => {
  try {
    declaration(extra);
  } catch (error) {
    if (error instanceof DatasetDeclarationError) return [error.message];
    throw error;
  }
  return [];
};

const statusAfter = (silence: number) =>
  assessFreshness(declaration(), { lastArrivalAt: NOW - silence, knownSince: NOW - 30 * 24 * HOUR, now: NOW });

describe('freshness in a dataset declaration', () => {
  it('reads durations in the definitions syntax', () => {
    expect(declaration().freshness).toEqual({ expectedEvery: '1h', warnAfter: '2h', failAfter: '6h' });
  });

  it('refuses a failAfter shorter than warnAfter, naming the file and the field', () => {
    const [message] = problemsOf({ freshness: { expectedEvery: '1h', warnAfter: '6h', failAfter: '2h' } });
    expect(message).toContain('datasets/ad_report.yaml');
    expect(message).toContain('freshness.failAfter: 2h is shorter than warnAfter (6h)');
  });

  it('refuses a warnAfter shorter than expectedEvery: it would warn between two normal arrivals', () => {
    const [message] = problemsOf({ freshness: { expectedEvery: '1d', warnAfter: '2h', failAfter: '2d' } });
    expect(message).toContain('freshness.warnAfter: 2h is shorter than expectedEvery (1d)');
  });

  it('refuses a duration that is not one, and a missing limit as required', () => {
    const [message] = problemsOf({ freshness: { expectedEvery: 'hourly', warnAfter: '2 hours' } });
    expect(message).toContain('freshness.expectedEvery: must be a duration such as 90s, 15m, 1h, 2d or 1w');
    expect(message).toContain('freshness.warnAfter: must be a duration');
    expect(message).toContain('freshness.failAfter: is required');
  });

  it('refuses an owner that is not an email address, saying where notices go', () => {
    const [message] = problemsOf({ owner: 'Paid media team' });
    expect(message).toContain('owner: must be an email address');
    expect(message).toContain('freshness notices go to it');
  });

  it('leaves freshness out when a dataset declares none: it is not checked', () => {
    const { freshness: _none, ...rest } = declaration();
    const unwatched = validateDatasetDeclaration(rest, 'x.yaml');
    expect(assessFreshness(unwatched, { lastArrivalAt: null, knownSince: NOW, now: NOW })).toBeNull();
  });
});

describe('assessFreshness', () => {
  it('is fresh up to warnAfter inclusive', () => {
    expect(statusAfter(0)?.status).toBe('fresh');
    expect(statusAfter(2 * HOUR)?.status).toBe('fresh');
  });

  it('warns past warnAfter, up to failAfter inclusive', () => {
    expect(statusAfter(2 * HOUR + 1)?.status).toBe('warn');
    expect(statusAfter(6 * HOUR)?.status).toBe('warn');
  });

  it('fails past failAfter', () => {
    expect(statusAfter(6 * HOUR + 1)).toMatchObject({ status: 'fail', level: 'fail', silentMillis: 6 * HOUR + 1 });
  });

  it('counts the expected arrivals missed', () => {
    expect(statusAfter(59 * MINUTE)?.missedArrivals).toBe(0);
    expect(statusAfter(3 * HOUR + MINUTE)?.missedArrivals).toBe(2);
  });

  it('says never_arrived, at the level of the time since the check first saw the dataset', () => {
    const never = (watched: number) =>
      assessFreshness(declaration(), { lastArrivalAt: null, knownSince: NOW - watched, now: NOW });
    expect(never(0)).toMatchObject({ status: 'never_arrived', level: 'ok', lastArrivalAt: null });
    expect(never(3 * HOUR)).toMatchObject({ status: 'never_arrived', level: 'warn' });
    expect(never(7 * HOUR)).toMatchObject({ status: 'never_arrived', level: 'fail' });
  });
});

describe('freshnessTransition', () => {
  it('reports each change of level once, and nothing while the level stays', () => {
    expect(freshnessTransition('ok', 'warn')).toBe('warned');
    expect(freshnessTransition('warn', 'fail')).toBe('failed');
    expect(freshnessTransition('ok', 'fail')).toBe('failed');
    expect(freshnessTransition('fail', 'ok')).toBe('recovered');
    expect(freshnessTransition('warn', 'ok')).toBe('recovered');
    expect(freshnessTransition('fail', 'fail')).toBeNull();
    expect(freshnessTransition('ok', 'ok')).toBeNull();
  });

  it('takes a dataset seen for the first time as ok before, so one already late is reported at once', () => {
    expect(freshnessTransition(null, 'ok')).toBeNull();
    expect(freshnessTransition(null, 'fail')).toBe('failed');
  });
});

describe('freshness notices and records', () => {
  it('tells the owner how long the dataset has been silent and what was declared', () => {
    const assessment = statusAfter(7 * HOUR + 5 * MINUTE);
    if (!assessment) throw new Error('not judged');
    const notice = freshnessNotice(assessment, 'failed', declaration());
    expect(notice.subject).toBe('[fail] ad_report stopped arriving: no data for 7h 5m');
    expect(notice.body).toContain('Its last batch was committed at 2026-06-10T04:55:00.000Z');
    expect(notice.body).toContain('expected every 1h, warn after 2h, fail after 6h');
    expect(notice.body).toContain('6 expected arrival(s) missed');
  });

  it('writes one pipeline_ingest record per assessment, with the declared limits in seconds', () => {
    const assessment = statusAfter(3 * HOUR);
    if (!assessment) throw new Error('not judged');
    expect(freshnessRecord(assessment, 'freshness-1')).toMatchObject({
      record_type: 'freshness',
      dataset: 'ad_report',
      ingested_at: NOW,
      freshness_status: 'warn',
      silence_seconds: 10_800,
      warn_after_seconds: 7_200,
      fail_after_seconds: 21_600,
      last_arrival_at: NOW - 3 * HOUR,
      rows_received: null,
    });
  });

  it('writes durations the way a person reads them', () => {
    expect([30_000, 45 * MINUTE, 2 * HOUR, 26 * HOUR, 48 * HOUR].map(humanDuration)).toEqual([
      '30s',
      '45m',
      '2h',
      '1d 2h',
      '2d',
    ]);
  });
});

describe('the semantic diff of owner and freshness', () => {
  const effects = (after: DatasetDeclaration) =>
    describeDeclarationChanges(declaration(), after).map((c) => `${c.path} ${c.kind} ${c.effect}`);

  it('says a shorter limit is tighter and a longer one looser', () => {
    expect(effects(declaration({ freshness: { expectedEvery: '1h', warnAfter: '90m', failAfter: '12h' } }))).toEqual([
      'freshness.failAfter changed freshness_loosened',
      'freshness.warnAfter changed freshness_tightened',
    ]);
  });

  it('reports a new owner, and freshness added or removed', () => {
    expect(effects(declaration({ owner: 'growth@example.com' }))).toEqual(['owner changed owner']);
    const { freshness: _none, ...rest } = declaration();
    expect(describeDeclarationChanges(validateDatasetDeclaration(rest, 'x.yaml'), declaration())).toMatchObject([
      { path: 'freshness', kind: 'added', effect: 'freshness' },
    ]);
  });
});

describe('the freshness the sample data is judged by', () => {
  it('is the freshness the pack declares', async () => {
    const { loadDatasetCatalog } = await import('../../../src/adapters/local/dataset-files');
    const { SAMPLE_FRESHNESS } = await import('../../../src/sample/datasets/pipeline');
    const catalog = await loadDatasetCatalog(new URL('../../../kpis/datasets', import.meta.url).pathname);
    for (const [dataset, declared] of Object.entries(SAMPLE_FRESHNESS)) {
      const freshness = catalog.get(dataset)?.declaration.freshness;
      if (!freshness) throw new Error(`${dataset} declares no freshness`);
      const limits = freshnessLimits(freshness);
      expect([limits.expectedEveryMillis, limits.warnAfterMillis, limits.failAfterMillis], dataset).toEqual([
        declared.expectedEvery,
        declared.warnAfter,
        declared.failAfter,
      ]);
    }
  });
});
