import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  filePathValues,
  type LoadedDataset,
  landingNameOf,
  loadDatasetFile,
  readDatasetFiles,
  resolveDatasetFiles,
} from '../../../src/adapters/local/dataset-files';
import {
  captureFromPath,
  DatasetDeclarationError,
  FilePatternError,
  parseFilePattern,
  validateDatasetDeclaration,
} from '../../../src/domain/dataset';
import type { TypedRecord } from '../../../src/domain/records';
import { declare } from '../../support/datasets';

describe('file patterns that capture path segments', () => {
  it('split the folders to look in from the part a path must match, and name the captures', () => {
    expect(parseFilePattern('../data/open_bandit/{policy}/{campaign}/*.csv')).toMatchObject({
      base: '../data/open_bandit',
      rest: '{policy}/{campaign}/*.csv',
      captures: ['policy', 'campaign'],
      glob: '../data/open_bandit/*/*/*.csv',
    });
  });

  it('capture Hive-style folders written name={name}', () => {
    const pattern = parseFilePattern('exports/policy={policy}/campaign={campaign}/*.csv');
    expect(captureFromPath(pattern, 'policy=bts/campaign=men/2026-06-01.csv')).toEqual({
      policy: 'bts',
      campaign: 'men',
    });
    expect(captureFromPath(pattern, 'bts/men/2026-06-01.csv')).toBeNull();
  });

  it('capture part of a segment, and match **, ?, [..] and {a,b} as globs do', () => {
    const pattern = parseFilePattern('**/export-{day}.{csv,ndjson}');
    expect(captureFromPath(pattern, 'a/b/export-2026-06-01.csv')).toEqual({ day: '2026-06-01' });
    expect(captureFromPath(pattern, 'export-2026-06-01.ndjson')).toEqual({ day: '2026-06-01' });
    expect(captureFromPath(pattern, 'export-2026-06-01.json')).toBeNull();
    expect(captureFromPath(parseFilePattern('run-?[0-9]/{x}.csv'), 'run-a7/v.csv')).toEqual({ x: 'v' });
  });

  it('never let a capture cross a folder', () => {
    expect(captureFromPath(parseFilePattern('{campaign}/*.csv'), 'men/extra/a.csv')).toBeNull();
  });

  it('refuse an unclosed brace, a capture named twice and a brace that is neither', () => {
    expect(() => parseFilePattern('data/{policy/*.csv')).toThrow(FilePatternError);
    expect(() => parseFilePattern('{policy}/{policy}.csv')).toThrow('captures {policy} twice');
    expect(() => parseFilePattern('{Policy}/*.csv')).toThrow('is neither a field to capture');
  });
});

describe('a declaration whose files capture fields', () => {
  const base = {
    id: 'ad_clicks',
    description: 'clicks',
    owner: 'ads@example.com',
    format: { type: 'csv' },
    fields: { shown_at: { type: 'timestamp' }, policy: { type: 'string' } },
    eventTime: 'shown_at',
  };
  const problems = (value: unknown) => {
    try {
      validateDatasetDeclaration(value, 'ad_clicks.yaml');
      return [];
    } catch (error) {
      if (error instanceof DatasetDeclarationError) return [...error.problems];
      throw error;
    }
  };

  it('needs each captured field declared', () => {
    expect(problems({ ...base, files: ['policy={policy}/{campaign}/*.csv'] })).toEqual([
      'files.0: captures {campaign}, which is not a declared field: add campaign: { type: string } to fields',
    ]);
  });

  it('refuses a rename onto a field that comes from the path', () => {
    expect(problems({ ...base, files: '{policy}/*.csv', renames: { Policy: 'policy' } })).toEqual([
      'renames.Policy: "policy" comes from the file\'s path ({policy} in files): it reads no column',
    ]);
  });

  it('says what is wrong with a pattern', () => {
    expect(problems({ ...base, files: '{policy/*.csv' })).toEqual([
      'files: "{policy/*.csv": the brace at "{policy/*.csv" is not closed',
    ]);
  });
});

describe('mapping the rows of a file whose path gives fields', () => {
  const clicks = declare({
    files: '{policy}/{day}/*.csv',
    fields: {
      item: { type: 'string', required: true },
      policy: { type: 'string', required: true, enum: ['bts', 'random'] },
      day: { type: 'timestamp', format: 'date' },
    },
    eventTime: 'day',
  });
  const mapped = (dataset: typeof clicks, cells: string[]) => {
    const bound = dataset.bindColumns(['item']);
    if (!('map' in bound)) throw new Error(`missing ${bound.missing}`);
    return { record: bound.map(cells, undefined), problem: dataset.problem };
  };

  it('types the captured text once, as a cell of the field, and reads no column for it', () => {
    const file = clicks.forFile({ path: 'bts/2026-06-01/a.csv', values: { policy: 'bts', day: '2026-06-01' } });
    expect(mapped(file, ['i1']).record).toEqual({ item: 'i1', policy: 'bts', day: Date.UTC(2026, 5, 1) });
  });

  it('needs no column for a captured required field or event time', () => {
    expect(clicks.requiredColumns()).toEqual(['item']);
    expect(clicks.sourceColumns()).toEqual(['item']);
  });

  it('never takes an optional captured field for a column a file lacks', () => {
    const optional = declare({
      files: '{campaign}/*.csv',
      fields: { at: { type: 'timestamp' }, campaign: { type: 'string' }, note: { type: 'string' } },
    });
    expect(optional.optionalSources()).toEqual([{ field: 'note', source: 'note' }]);
  });

  it('quarantines each row of a file whose path gives a value outside the enum, naming the path', () => {
    const file = clicks.forFile({ path: 'greedy/2026-06-01/a.csv', values: { policy: 'greedy', day: '2026-06-01' } });
    expect(mapped(file, ['i1'])).toMatchObject({
      record: null,
      problem: { field: 'policy', code: 'not_in_enum' },
    });
    expect(file.problem.reason).toMatch(/in the path greedy\/2026-06-01\/a\.csv\)$/);
  });

  it('gives an input without a path (a pushed batch) no value for the captured fields', () => {
    expect(mapped(clicks, ['i1'])).toMatchObject({
      record: null,
      problem: { field: 'policy', code: 'missing_required' },
    });
    expect(clicks.problem.reason).toContain('this input has no file path');
  });
});

describe('local files whose path gives fields', () => {
  let dir: string;
  let loaded: LoadedDataset;
  const rows = 'item_id,shown_at,click\ni1,2026-06-01T10:00:00Z,1\ni2,2026-06-01T11:00:00Z,0\n';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'path-captures-'));
    for (const [policy, campaign] of [
      ['bts', 'men'],
      ['random', 'women'],
    ] as const) {
      mkdirSync(path.join(dir, 'obd', policy, campaign), { recursive: true });
      writeFileSync(path.join(dir, 'obd', policy, campaign, 'day-1.csv'), rows);
    }
    mkdirSync(path.join(dir, 'datasets'));
    writeFileSync(
      path.join(dir, 'datasets', 'ad_clicks.yaml'),
      `id: ad_clicks
description: clicks per policy and campaign
owner: ads@example.com
files: ../obd/{policy}/{campaign}/*.csv
format: { type: csv }
fields:
  item_id: { type: string, required: true }
  shown_at: { type: timestamp, required: true }
  click: { type: integer }
  policy: { type: string, required: true }
  campaign: { type: string, enum: [all, men, women] }
eventTime: shown_at
`,
    );
    loaded = await loadDatasetFile(path.join(dir, 'datasets', 'ad_clicks.yaml'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const records = async (files: string[], patterns?: string[]) => {
    const read = readDatasetFiles(loaded, files, patterns ? { patterns } : {});
    const all: TypedRecord[] = [];
    for await (const batch of read) all.push(...batch.records);
    return all;
  };

  it('finds the files of one declaration across the captured folders', async () => {
    const files = await resolveDatasetFiles(loaded);
    expect(files.map((f) => path.relative(dir, f))).toEqual([
      path.join('obd', 'bts', 'men', 'day-1.csv'),
      path.join('obd', 'random', 'women', 'day-1.csv'),
    ]);
  });

  it('gives every record of a file the values its path captures', async () => {
    const read = await records(await resolveDatasetFiles(loaded));
    expect(read.map((r) => [r.item_id, r.policy, r.campaign])).toEqual([
      ['i1', 'bts', 'men'],
      ['i2', 'bts', 'men'],
      ['i1', 'random', 'women'],
      ['i2', 'random', 'women'],
    ]);
  });

  it('captures through the patterns of --input when given, and none from a plain path', async () => {
    const file = path.join(dir, 'obd', 'random', 'women', 'day-1.csv');
    const pattern = path.join(dir, 'obd', '{policy}', 'women', '*.csv');
    expect(filePathValues(loaded, file, [pattern]).values).toEqual({ policy: 'random' });
    const read = await records(await resolveDatasetFiles(loaded, [pattern]), [pattern]);
    expect(read.map((r) => [r.policy, r.campaign])).toEqual([
      ['random', null],
      ['random', null],
    ]);
    expect(await records([file], [file])).toEqual([]);
  });

  it('refuses an --input pattern capturing a field the declaration does not capture', async () => {
    await expect(resolveDatasetFiles(loaded, [path.join(dir, 'obd', '{click}', '*', '*.csv')])).rejects.toThrow(
      'captures {click}, which the files of dataset "ad_clicks" do not capture',
    );
  });

  it('drops a local file into the landing zone under the folders it captures from', () => {
    expect(landingNameOf(loaded, path.join(dir, 'obd', 'bts', 'men', 'day-1.csv'))).toBe('bts/men/day-1.csv');
  });
});
