// The local runtime's check of a state machine before it first runs: invalid ASL and JSONata are
// refused, a definition found valid is marked in the cache and not compiled against the schemas again.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  InvalidStateMachineError,
  type SynthesizedStateMachine,
  validateStateMachine,
} from '../../src/local/stepfunctions/asl';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cacheDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'asl-cache-'));
  dirs.push(dir);
  return dir;
}

function machine(definition: unknown): SynthesizedStateMachine {
  return {
    stackName: 'Stack',
    logicalId: 'Machine',
    name: 'machine',
    arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:machine',
    type: 'STANDARD',
    definition: definition as AslDefinition,
  };
}

const valid = {
  StartAt: 'Wait',
  States: { Wait: { Type: 'Wait', Seconds: 1, Next: 'Done' }, Done: { Type: 'Succeed' } },
};

describe('validateStateMachine', () => {
  it('marks a valid definition once, and leaves the definition as written', () => {
    const dir = cacheDir();
    const checked = machine(structuredClone(valid));
    validateStateMachine(checked, dir);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(checked.definition).toEqual(valid);
    validateStateMachine(machine(structuredClone(valid)), dir);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('refuses invalid ASL, naming the machine, and marks nothing', () => {
    const dir = cacheDir();
    const broken = { StartAt: 'Missing', States: { Done: { Type: 'Succeed' } } };
    expect(() => validateStateMachine(machine(broken), dir)).toThrow(InvalidStateMachineError);
    expect(() => validateStateMachine(machine(broken), dir)).toThrow(/Stack\/Machine/);
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('refuses JSONata even when an earlier run marked nothing for it', () => {
    const dir = cacheDir();
    const jsonata = { ...valid, States: { ...valid.States, Wait: { ...valid.States.Wait, QueryLanguage: 'JSONata' } } };
    expect(() => validateStateMachine(machine(jsonata), dir)).toThrow(/JSONata is not supported locally/);
  });

  it('checks a changed definition again', () => {
    const dir = cacheDir();
    validateStateMachine(machine(valid), dir);
    const changed = { ...valid, States: { ...valid.States, Wait: { Type: 'Wait', Seconds: 2, Next: 'Done' } } };
    validateStateMachine(machine(changed), dir);
    expect(readdirSync(dir)).toHaveLength(2);
    const broken = { ...valid, States: { ...valid.States, Wait: { Type: 'Wait', Seconds: 2, Next: 'Nowhere' } } };
    expect(() => validateStateMachine(machine(broken), dir)).toThrow(InvalidStateMachineError);
  });
});
