import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalDeployment } from '../../src/local/local-deployment';

const root = mkdtempSync(path.join(tmpdir(), 'kpi-local-deployment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a fresh local deployment', () => {
  it('starts on an empty state and deletes the old one, and what a stopped run left aside, by the time it closes', async () => {
    const stateDir = path.join(root, 'state');
    mkdirSync(path.join(stateDir, 's3'), { recursive: true });
    writeFileSync(path.join(stateDir, 's3', 'old-object'), 'from the previous run');
    mkdirSync(path.join(root, 'state.discarded-1-1'));
    writeFileSync(path.join(root, 'state.discarded-1-1', 'left'), 'from a run that was killed');
    mkdirSync(path.join(root, 'state-other'));

    const local = await openLocalDeployment({ stateDir, command: 'test', fresh: true });
    try {
      expect(existsSync(path.join(stateDir, 's3', 'old-object'))).toBe(false);
    } finally {
      await local.close();
    }
    expect(readdirSync(root).filter((entry) => entry.includes('.discarded-'))).toEqual([]);
    // Only the state's own leftovers are deleted.
    expect(existsSync(path.join(root, 'state-other'))).toBe(true);
  });
});
