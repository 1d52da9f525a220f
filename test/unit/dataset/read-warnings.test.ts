import { describe, expect, it } from 'vitest';
import { declare, readAll } from '../../support/datasets';

const fields = {
  id: { type: 'string', required: true },
  clicks: { type: 'integer' },
  channel: { type: 'string', default: 'unknown' },
  at: { type: 'timestamp' },
} as const;
const csv = declare({ fields });
const ndjson = declare({ fields, format: { type: 'ndjson' } });

describe('file warnings', () => {
  it('warns of an optional column missing from the header, naming the file, the column and what to do', async () => {
    const result = await readAll(csv, 'id,at\n1,2024-01-01\n');
    expect(result.records[0]).toMatchObject({ clicks: null });
    expect(result.summary.warnings).toEqual([
      {
        code: 'missing_optional_column',
        field: 'clicks',
        column: 'clicks',
        message:
          'input: the header has no column "clicks", so optional field "clicks" is null in every record of this file. If "clicks" was renamed upstream, map the new name in the declaration\'s renames (e.g. renames: { "<new name>": clicks }); if the source no longer has it, drop the field from the declaration',
      },
    ]);
  });

  it('names the likely new name of a renamed optional column, and warns of that unread column', async () => {
    const result = await readAll(csv, 'id,Link Clicks,campaign,at\n1,5,c1,2024-01-01\n');
    expect(result.summary.warnings.map((w) => [w.code, w.field, w.column])).toEqual([
      ['missing_optional_column', 'clicks', 'clicks'],
      ['unknown_column', 'clicks', 'Link Clicks'],
      ['unknown_column', 'clicks', 'campaign'],
    ]);
    expect(result.summary.warnings[0]?.message).toContain(
      'Columns no field reads: "Link Clicks", "campaign". If "clicks" was renamed upstream, map the new name in the declaration\'s renames (e.g. renames: { "Link Clicks": clicks })',
    );
    expect(result.summary.warnings[1]?.message).toBe(
      'input: column "Link Clicks" matches no declared field while optional field "clicks" has no column; if it is "clicks" renamed, add renames: { "Link Clicks": clicks } to the declaration',
    );
  });

  it('says nothing of extra columns when every declared column is there', async () => {
    const result = await readAll(csv, 'id,clicks,channel,at,campaign\n1,5,web,2024-01-01,c1\n');
    expect(result.summary.warnings).toEqual([]);
  });

  it('says nothing of a missing column whose field has a default', async () => {
    const result = await readAll(csv, 'id,clicks,at\n1,5,2024-01-01\n');
    expect(result.records[0]).toMatchObject({ channel: 'unknown' });
    expect(result.summary.warnings).toEqual([]);
  });

  it('reads a renamed column once the declaration maps it, without a warning', async () => {
    const renamed = declare({ fields, renames: { 'Link Clicks': 'clicks' } });
    const result = await readAll(renamed, 'id,Link Clicks,at\n1,5,2024-01-01\n');
    expect(result.records[0]).toMatchObject({ clicks: 5 });
    expect(result.summary.warnings).toEqual([]);
  });

  it('warns of a JSON key no object has when another key, no field reads, is there instead', async () => {
    const result = await readAll(
      ndjson,
      '{"id":"1","click_count":5,"at":"2024-01-01"}\n{"id":"2","click_count":7,"at":"2024-01-01"}\n',
    );
    expect(result.summary.warnings.map((w) => [w.code, w.field, w.column])).toEqual([
      ['missing_optional_column', 'clicks', 'clicks'],
      ['unknown_column', 'clicks', 'click_count'],
    ]);
    expect(result.summary.warnings[0]?.message).toMatch(/^input: no object has the key "clicks"/);
  });

  it('says nothing of an optional JSON key that only some objects have', async () => {
    const result = await readAll(ndjson, '{"id":"1","at":"2024-01-01"}\n{"id":"2","clicks":3,"at":"2024-01-01"}\n');
    expect(result.summary.warnings).toEqual([]);
  });

  it('says nothing of an optional JSON key absent everywhere when no other key stands in for it', async () => {
    const result = await readAll(ndjson, '{"id":"1","at":"2024-01-01"}\n');
    expect(result.summary.warnings).toEqual([]);
  });
});
