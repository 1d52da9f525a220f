import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoadedDataset,
  loadDatasetCatalog,
  readDatasetFiles,
  resolveDatasetFiles,
} from '../../../src/adapters/local/dataset-files';
import { columnarReading } from '../../../src/domain/dataset/columnar';
import { gzip } from '../../support/datasets';

let dir: string;
let catalog: Map<string, LoadedDataset>;

const leadsYaml = `# Leads exported daily by the CRM
id: leads
description: Marketing-qualified leads
owner: crm-team@example.com
files: ../data/leads-*.csv*
format: { type: csv }
fields:
  lead_id: { type: string, required: true }
  created_at: { type: timestamp, format: date }
eventTime: created_at
`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dataset-files-'));
  mkdirSync(path.join(dir, 'datasets'));
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'datasets', 'leads.yaml'), leadsYaml);
  writeFileSync(
    path.join(dir, 'datasets', 'deals.json'),
    JSON.stringify({
      id: 'deals',
      description: 'Closed deals',
      owner: 'sales@example.com',
      format: { type: 'ndjson' },
      fields: { deal_id: { type: 'string' }, won_at: { type: 'timestamp' } },
      eventTime: 'won_at',
    }),
  );
  writeFileSync(path.join(dir, 'datasets', 'dataset.schema.json'), '{}');
  writeFileSync(path.join(dir, 'data', 'leads-1.csv'), 'lead_id,created_at\nL1,2024-01-01\n,2024-01-02\n');
  writeFileSync(path.join(dir, 'data', 'leads-2.csv.gz'), gzip('lead_id,created_at\nL3,2024-01-03\n'));
  writeFileSync(path.join(dir, 'data', 'broken.csv'), '');
  catalog = await loadDatasetCatalog(path.join(dir, 'datasets'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function collect(loaded: LoadedDataset, files: string[]) {
  const read = readDatasetFiles(loaded, files);
  const ids: unknown[] = [];
  for await (const batch of read) ids.push(...batch.records.map((r) => r.lead_id));
  return { ids, summaries: read.summaries() };
}

describe('local dataset files', () => {
  it('loads every declaration of a folder by id, YAML and JSON, skipping schema files', () => {
    expect([...catalog.keys()].sort()).toEqual(['deals', 'leads']);
  });

  it('resolves the declared glob relative to the declaration, sorted', async () => {
    const files = await resolveDatasetFiles(catalog.get('leads') as LoadedDataset);
    expect(files.map((f) => path.basename(f))).toEqual(['leads-1.csv', 'leads-2.csv.gz']);
  });

  it('reads every file, gzip or not, with counts per file', async () => {
    const leads = catalog.get('leads') as LoadedDataset;
    const { ids, summaries } = await collect(leads, await resolveDatasetFiles(leads));
    expect(ids).toEqual(['L1', 'L3']);
    expect(summaries.map((s) => [path.basename(s.file), s.counts.read, s.counts.quarantined])).toEqual([
      ['leads-1.csv', 2, 1],
      ['leads-2.csv.gz', 1, 0],
    ]);
  });

  it('reads a file in chunks of any size, gzip or not, as in one piece', async () => {
    const leads = catalog.get('leads') as LoadedDataset;
    const rows = Array.from({ length: 200 }, (_, i) => `L${i},2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
    const text = `lead_id,created_at\n${rows.join('\n')}\n`;
    writeFileSync(path.join(dir, 'data', 'many.csv'), text);
    writeFileSync(path.join(dir, 'data', 'many.csv.gz'), gzip(text));
    for (const name of ['many.csv', 'many.csv.gz']) {
      for (const chunkBytes of [7, 1000, 1 << 16]) {
        const read = readDatasetFiles(leads, [path.join(dir, 'data', name)], { chunkBytes });
        const ids: unknown[] = [];
        for await (const batch of read) ids.push(...batch.records.map((r) => r.lead_id));
        expect(ids, `${name} in chunks of ${chunkBytes}`).toEqual(rows.map((row) => row.split(',')[0]));
      }
    }
  });

  it('reads NDJSON in chunks of any size, as columns or not, and gives a callback chunks it may keep', async () => {
    const deals = catalog.get('deals') as LoadedDataset;
    const ids = Array.from({ length: 300 }, (_, i) => `D${i}${'é'.repeat(i % 3)}`);
    const text = ids
      .map(
        (id, i) =>
          `${JSON.stringify({ deal_id: id, won_at: `2024-02-${String((i % 28) + 1).padStart(2, '0')}T10:00:00.000Z` })}\n`,
      )
      .join('');
    writeFileSync(path.join(dir, 'data', 'many.ndjson'), text);
    writeFileSync(path.join(dir, 'data', 'many.ndjson.gz'), gzip(text));
    for (const name of ['many.ndjson', 'many.ndjson.gz']) {
      for (const chunkBytes of [7, 1000, 1 << 16]) {
        for (const columns of [true, false]) {
          const kept: Uint8Array[] = [];
          const read = readDatasetFiles(deals, [path.join(dir, 'data', name)], {
            chunkBytes,
            ...(columns ? { columns: columnarReading } : {}),
            ...(columns ? {} : { onDecompressed: (chunk: Uint8Array) => kept.push(chunk) }),
          });
          const got: unknown[] = [];
          for await (const batch of read) got.push(...batch.records.map((r) => r.deal_id));
          expect(got, `${name} in chunks of ${chunkBytes}`).toEqual(ids);
          if (!columns) expect(new TextDecoder().decode(Buffer.concat(kept))).toBe(text);
        }
      }
    }
  });

  it('reads the files given instead of the declared ones', async () => {
    const leads = catalog.get('leads') as LoadedDataset;
    const files = await resolveDatasetFiles(leads, [path.join(dir, 'data', 'leads-2.csv.gz')]);
    expect((await collect(leads, files)).ids).toEqual(['L3']);
  });

  it('says how to name files when a declaration has none', async () => {
    await expect(resolveDatasetFiles(catalog.get('deals') as LoadedDataset)).rejects.toThrow(
      'dataset "deals" names no files: add "files" to its declaration or pass --input deals=PATH',
    );
  });

  it('fails on a pattern that matches nothing, naming it', async () => {
    const leads = catalog.get('leads') as LoadedDataset;
    await expect(resolveDatasetFiles(leads, [path.join(dir, 'data', 'nothing-*.csv')])).rejects.toThrow(
      /no file matches/,
    );
  });

  it('stops on an unreadable file, naming the file and the dataset', async () => {
    const leads = catalog.get('leads') as LoadedDataset;
    await expect(collect(leads, [path.join(dir, 'data', 'broken.csv')])).rejects.toMatchObject({
      code: 'empty_file',
      message: expect.stringMatching(/broken\.csv \(dataset "leads"\): the file is empty/),
    });
  });

  it('refuses two declarations of one dataset id', async () => {
    const twice = mkdtempSync(path.join(tmpdir(), 'dataset-twice-'));
    try {
      writeFileSync(path.join(twice, 'a.yaml'), leadsYaml);
      writeFileSync(path.join(twice, 'b.yaml'), leadsYaml);
      await expect(loadDatasetCatalog(twice)).rejects.toThrow('id: "leads" is already declared in a.yaml');
    } finally {
      rmSync(twice, { recursive: true, force: true });
    }
  });
});
