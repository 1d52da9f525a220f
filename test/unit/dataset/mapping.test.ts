import { describe, expect, it } from 'vitest';
import { declare, readAll } from '../../support/datasets';

const header = 'id,at,amount,qty,ok,stage\n';

const dataset = declare({
  fields: {
    id: { type: 'string', required: true, pattern: '[A-Z]\\d+' },
    at: { type: 'timestamp' },
    amount: { type: 'number', min: 0 },
    qty: { type: 'integer', max: 100 },
    ok: { type: 'boolean', trueValues: ['Y'], falseValues: ['N'] },
    stage: { type: 'string', enum: ['Won', 'Lost', 'Engaging'] },
  },
});

async function one(row: string, ds = dataset) {
  const result = await readAll(ds, header + row);
  return { record: result.records[0], problem: result.quarantined[0] };
}

describe('source mapping', () => {
  it('types every field of a valid row', async () => {
    expect((await one('A1,2024-01-02T00:00:00Z, 12.5 ,3,y,Won')).record).toEqual({
      id: 'A1',
      at: Date.parse('2024-01-02T00:00:00Z'),
      amount: 12.5,
      qty: 3,
      ok: true,
      stage: 'Won',
    });
  });

  it('reads an empty cell of an optional field as null', async () => {
    expect((await one('A1,2024-01-02,,,,')).record).toMatchObject({ amount: null, qty: null, ok: null, stage: null });
  });

  it('quarantines a row whose required field is empty, naming the field', async () => {
    expect((await one(',2024-01-02,1,1,Y,Won')).problem).toMatchObject({
      field: 'id',
      reason: 'required field "id" has no value',
    });
  });

  it('quarantines a number that is not one', async () => {
    expect((await one('A1,2024-01-02,1O,1,Y,Won')).problem?.reason).toBe('"amount" should be a number, got "1O"');
  });

  it('quarantines a fraction in an integer field', async () => {
    expect((await one('A1,2024-01-02,1,1.5,Y,Won')).problem?.reason).toBe('"qty" should be a whole number, got "1.5"');
  });

  it('quarantines a value below the minimum', async () => {
    expect((await one('A1,2024-01-02,-1,1,Y,Won')).problem?.reason).toBe('"amount" is -1, below 0');
  });

  it('quarantines a boolean spelling the declaration does not list', async () => {
    expect((await one('A1,2024-01-02,1,1,true,Won')).problem?.reason).toBe('"ok" is "true", which is none of "y", "n"');
  });

  it('quarantines a value outside the enum, listing the allowed ones', async () => {
    expect((await one('A1,2024-01-02,1,1,Y,won')).problem?.reason).toBe(
      '"stage" is "won", not one of "Won", "Lost", "Engaging"',
    );
  });

  it('quarantines a value that does not match the whole pattern', async () => {
    expect((await one('A1x,2024-01-02,1,1,Y,Won')).problem?.reason).toBe(
      '"id" is "A1x", which does not match [A-Z]\\d+',
    );
  });

  it('reads a column under another name through renames', async () => {
    const renamed = declare({
      fields: { lead_id: { type: 'string' }, at: { type: 'timestamp' } },
      renames: { 'Lead ID': 'lead_id' },
    });
    const result = await readAll(renamed, 'Lead ID,at\nL7,2024-01-02\n');
    expect(result.records[0]?.lead_id).toBe('L7');
  });

  it('adds constants and derived fields after typing', async () => {
    const derived = declare({
      fields: {
        stage: { type: 'string' },
        first: { type: 'string' },
        last: { type: 'string' },
        at: { type: 'timestamp' },
      },
      constants: { source_system: 'crm' },
      derived: {
        won: { kind: 'equals', field: 'stage', value: 'Won' },
        closed: { kind: 'in', field: 'stage', values: ['Won', 'Lost'] },
        name: { kind: 'concat', fields: ['first', 'last'], separator: ' ' },
        account: { kind: 'coalesce', fields: ['last'], default: 'unknown' },
      },
    });
    const result = await readAll(derived, 'stage,first,last,at\nLost,Ada,,2024-01-02\n');
    expect(result.records[0]).toMatchObject({
      source_system: 'crm',
      won: false,
      closed: true,
      name: 'Ada',
      account: 'unknown',
    });
  });

  it('treats the declared null spellings as no value', async () => {
    const nulls = declare({
      fields: { account: { type: 'string' }, at: { type: 'timestamp' } },
      nullValues: ['', 'NULL', 'n/a'],
    });
    const result = await readAll(nulls, 'account,at\nn/a,2024-01-02\nNULL,2024-01-02\n');
    expect(result.records.map((r) => r.account)).toEqual([null, null]);
  });

  it('quarantines a row without an event time', async () => {
    expect((await one('A1,,1,1,Y,Won')).problem).toMatchObject({
      field: 'at',
      reason: 'the event time "at" has no value',
    });
  });

  it('quarantines an event time before eventTime.notBefore as a likely zero date', async () => {
    expect((await one('A1,1970-01-01T00:00:00Z,1,1,Y,Won')).problem?.reason).toMatch(
      /^event time 1970-01-01T00:00:00.000Z is before 2000-01-01T00:00:00.000Z \(eventTime.notBefore\)/,
    );
  });

  it('quarantines an event time far after the read time', async () => {
    const now = Date.parse('2024-01-02T00:00:00Z');
    const result = await readAll(dataset, `${header}A1,2024-01-04T00:00:00Z,1,1,Y,Won\n`, { now });
    expect(result.quarantined[0]?.reason).toMatch(/is more than 1440 minutes after the read time/);
  });

  it('reads a nested JSON value through a dotted rename', async () => {
    const nested = declare({
      format: { type: 'ndjson' },
      fields: { agent_id: { type: 'string' }, at: { type: 'timestamp' } },
      renames: { 'agent.id': 'agent_id' },
    });
    const result = await readAll(nested, '{"agent":{"id":"a-1"},"at":"2024-01-02"}\n');
    expect(result.records[0]?.agent_id).toBe('a-1');
  });

  it('quarantines an object where a text value is expected', async () => {
    const typed = declare({
      format: { type: 'ndjson' },
      fields: { agent_id: { type: 'string' }, at: { type: 'timestamp' } },
    });
    const result = await readAll(typed, '{"agent_id":{"id":1},"at":"2024-01-02"}\n');
    expect(result.quarantined[0]).toMatchObject({
      field: 'agent_id',
      reason: '"agent_id" should be text, got an object',
    });
  });

  it('uses the default of a field the source does not have, such as the date of a snapshot export', async () => {
    const snapshot = declare({
      fields: { id: { type: 'string' }, observed_at: { type: 'timestamp', format: 'date', default: '2010-11-30' } },
      eventTime: 'observed_at',
    });
    const result = await readAll(snapshot, 'id\n1\n');
    expect(result.records[0]).toEqual({ id: '1', observed_at: Date.parse('2010-11-30') });
  });

  it('refuses a default that does not fit its own field', () => {
    expect(() => declare({ fields: { n: { type: 'integer', default: 'many' }, at: { type: 'timestamp' } } })).toThrow(
      'fields.n.default: "n" should be a whole number, got "many"',
    );
  });
});
