import { describe, expect, it } from 'vitest';
import { operatorAuditEvent } from '../../../src/domain/guardrails/audit';
import {
  type AutonomyMode,
  applyTransition,
  effectiveMode,
  mostRestrictive,
  UNGOVERNED_CONTROL,
} from '../../../src/domain/guardrails/autonomy';
import { changeAutonomy } from '../../../src/usecases/guardrails/change-autonomy';
import { guardrailWorld } from '../../support/guardrail-fakes';

const agent = { kind: 'agent', id: 'a-1' } as const;

describe('autonomy controls', () => {
  it('treats a subject nobody governed as autonomous', () => {
    expect(effectiveMode(UNGOVERNED_CONTROL)).toBe('autonomous');
  });

  it('supervises a subject while any approval holds it', () => {
    const held = applyTransition(UNGOVERNED_CONTROL, { type: 'hold', approvalId: 'x' });
    expect(effectiveMode(held)).toBe('supervised');
  });

  it('returns to autonomous only when the last hold is released', () => {
    const twice = { ...UNGOVERNED_CONTROL, holds: ['x', 'y'] };
    const once = applyTransition(twice, { type: 'release', approvalId: 'x' });
    expect(effectiveMode(once)).toBe('supervised');
    expect(effectiveMode(applyTransition({ ...twice, ...once }, { type: 'release', approvalId: 'y' }))).toBe(
      'autonomous',
    );
  });

  it('keeps a paused subject paused whatever holds it has', () => {
    expect(effectiveMode({ baseMode: 'paused', holds: ['x'] })).toBe('paused');
  });

  it('clears every hold when an operator sets the mode', () => {
    const held = { ...UNGOVERNED_CONTROL, holds: ['x'] };
    expect(applyTransition(held, { type: 'set', mode: 'autonomous' })).toEqual({ baseMode: 'autonomous', holds: [] });
  });

  it('reads the most restrictive of an agent and its use case', () => {
    expect(mostRestrictive(['autonomous', 'paused', 'supervised'])).toBe('paused');
  });

  it('writes and audits a hold once when it is applied twice', async () => {
    const world = guardrailWorld();
    const hold = { type: 'hold', approvalId: 'x' } as const;
    const event = ({ at, from, to }: { at: string; from: AutonomyMode; to: AutonomyMode }) =>
      operatorAuditEvent(agent, {
        eventId: 'x|held',
        type: 'autonomy_changed',
        occurredAt: at,
        actor: 't',
        fromMode: from,
        toMode: to,
      });
    await changeAutonomy(agent, hold, { actor: 't', reason: 'r' }, event, world);
    await changeAutonomy(agent, hold, { actor: 't', reason: 'r' }, event, world);
    expect(world.audit.types()).toEqual(['autonomy_changed']);
    expect((await world.controls.read(agent)).version).toBe(1);
  });

  it('audits on the retry a change whose first run died between the write and its audit', async () => {
    const world = guardrailWorld();
    const hold = { type: 'hold', approvalId: 'x' } as const;
    const event = ({ at, from, to }: { at: string; from: AutonomyMode; to: AutonomyMode }) =>
      operatorAuditEvent(agent, {
        eventId: 'x|held',
        type: 'autonomy_changed',
        occurredAt: at,
        actor: 't',
        fromMode: from,
        toMode: to,
      });
    const record = world.audit.record.bind(world.audit);
    world.audit.record = () => Promise.reject(new Error('the process died'));
    await expect(changeAutonomy(agent, hold, { actor: 't', reason: 'r' }, event, world)).rejects.toThrow(/died/);
    const writtenAt = (await world.controls.read(agent)).updatedAt;
    world.audit.record = record;
    world.clock.advance(60_000);
    await changeAutonomy(agent, hold, { actor: 't', reason: 'r' }, event, world);
    expect(world.audit.events).toEqual([
      expect.objectContaining({ occurredAt: writtenAt, fromMode: 'autonomous', toMode: 'supervised' }),
    ]);
  });

  it('retries a write that lost a race to another writer', async () => {
    const world = guardrailWorld();
    let interfere = true;
    const write = world.controls.write.bind(world.controls);
    world.controls.write = async (subject, next) => {
      if (interfere) {
        interfere = false;
        await write(subject, { ...next, holds: ['other'] });
      }
      return write(subject, next);
    };
    const event = ({ at }: { at: string }) =>
      operatorAuditEvent(agent, { eventId: 'e', type: 'autonomy_changed', occurredAt: at, actor: 't' });
    await changeAutonomy(agent, { type: 'hold', approvalId: 'x' }, { actor: 't', reason: 'r' }, event, world);
    expect((await world.controls.read(agent)).holds).toEqual(['other', 'x']);
  });
});
