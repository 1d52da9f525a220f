import { describe, expect, it } from 'vitest';
import { holdEventsToSigner } from '../../../src/usecases/push/agent-identity';
import { declare, utf8 } from '../../support/datasets';

const fields = {
  event_id: { type: 'string', required: true },
  agent_id: { type: 'string', required: true, case: 'lower' },
  at: { type: 'timestamp' },
} as const;
const dataset = declare({ fields, format: { type: 'ndjson' } });
const nested = declare({ fields, format: { type: 'ndjson' }, renames: { 'agent.id': 'agent_id' } });
const refuse = { agentField: 'agent_id', onMismatch: 'refuse' } as const;
const overwrite = { agentField: 'agent_id', onMismatch: 'overwrite' } as const;

const text = (body: Uint8Array) => new TextDecoder().decode(body);
const lines = (...events: object[]) => utf8(events.map((e) => JSON.stringify(e)).join('\n'));

describe('pushed events held to the signing agent', () => {
  it('leaves a body whose events all name the signer as it is, byte for byte', () => {
    const body = utf8('{"event_id":"1", "agent_id":"agent-a"}\r\n{"event_id":"2","agent_id":" Agent-A "}\n');
    const held = holdEventsToSigner(body, 'ndjson', dataset, refuse, 'agent-a');
    expect(held).toEqual({ ok: true, body, filled: 0, overwritten: 0 });
  });

  it('refuses events naming another agent, by line, whatever the line endings', () => {
    const body = utf8(
      '{"event_id":"1","agent_id":"agent-a"}\r\n\n{"event_id":"2","agent_id":"agent-b"}\r{"event_id":"3","agent_id":7}\n',
    );
    expect(holdEventsToSigner(body, 'ndjson', dataset, refuse, 'agent-a')).toEqual({
      ok: false,
      count: 2,
      mismatches: [
        { line: 3, agent: 'agent-b' },
        { line: 4, agent: 7 },
      ],
    });
  });

  it('lists the first hundred events at fault and counts them all', () => {
    const events = Array.from({ length: 150 }, (_, i) => ({ event_id: `${i}`, agent_id: 'agent-b' }));
    const held = holdEventsToSigner(lines(...events), 'ndjson', dataset, refuse, 'agent-a');
    expect(held).toMatchObject({ ok: false, count: 150 });
    expect(held.ok ? [] : held.mismatches).toHaveLength(100);
  });

  it('gives events without an agent, or with an empty one, the signer, leaving the other lines untouched', () => {
    const body = utf8(
      '{"event_id":"1"}\n{"event_id":"2", "agent_id": "agent-a"}\n{"event_id":"3","agent_id":null}\n{"event_id":"4","agent_id":"  "}',
    );
    const held = holdEventsToSigner(body, 'ndjson', dataset, refuse, 'agent-a');
    expect(held).toMatchObject({ ok: true, filled: 3, overwritten: 0 });
    expect(text((held as { body: Uint8Array }).body)).toBe(
      '{"event_id":"1","agent_id":"agent-a"}\n{"event_id":"2", "agent_id": "agent-a"}\n{"event_id":"3","agent_id":"agent-a"}\n{"event_id":"4","agent_id":"agent-a"}',
    );
  });

  it('overwrites the agent of events naming another agent when the dataset says so', () => {
    const body = lines({ event_id: '1', agent_id: 'agent-b' }, { event_id: '2', agent_id: 'agent-a' });
    const held = holdEventsToSigner(body, 'ndjson', dataset, overwrite, 'agent-a');
    expect(held).toMatchObject({ ok: true, filled: 0, overwritten: 1 });
    expect(text((held as { body: Uint8Array }).body)).toBe(
      '{"event_id":"1","agent_id":"agent-a"}\n{"event_id":"2","agent_id":"agent-a"}',
    );
  });

  it('reads and sets an agent nested in the event, as the renames say', () => {
    const body = lines(
      { event_id: '1', agent: { id: 'agent-b', team: 'x' } },
      { event_id: '2' },
      { event_id: '3', agent: 'x' },
    );
    const held = holdEventsToSigner(body, 'ndjson', nested, overwrite, 'agent-a');
    expect(held).toMatchObject({ ok: true, filled: 2, overwritten: 1 });
    expect(
      text((held as { body: Uint8Array }).body)
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { event_id: '1', agent: { id: 'agent-a', team: 'x' } },
      { event_id: '2', agent: { id: 'agent-a' } },
      { event_id: '3', agent: { id: 'agent-a' } },
    ]);
  });

  it('checks the elements of a JSON array, by element number', () => {
    const body = utf8(JSON.stringify([{ event_id: '1' }, { event_id: '2', agent_id: 'agent-b' }]));
    expect(holdEventsToSigner(body, 'json', dataset, refuse, 'agent-a')).toEqual({
      ok: false,
      count: 1,
      mismatches: [{ line: 2, agent: 'agent-b' }],
    });
    const held = holdEventsToSigner(body, 'json', dataset, overwrite, 'agent-a');
    expect(JSON.parse(text((held as { body: Uint8Array }).body))).toEqual([
      { event_id: '1', agent_id: 'agent-a' },
      { event_id: '2', agent_id: 'agent-a' },
    ]);
  });

  it('leaves text that is not a JSON object for the reader to quarantine', () => {
    const body = utf8('not json\n[1]\n{"event_id":"1"}\n');
    const held = holdEventsToSigner(body, 'ndjson', dataset, refuse, 'agent-a');
    expect(text((held as { body: Uint8Array }).body)).toBe('not json\n[1]\n{"event_id":"1","agent_id":"agent-a"}\n');
    const array = utf8('[{"event_id":"1"},');
    expect(holdEventsToSigner(array, 'json', dataset, refuse, 'agent-a')).toEqual({
      ok: true,
      body: array,
      filled: 0,
      overwritten: 0,
    });
  });
});
