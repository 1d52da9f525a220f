import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStateBusyError, lockLocalState, lockPathsOf, type StateHolder } from '../../src/local/state-lock';

const root = mkdtempSync(path.join(tmpdir(), 'kpi-lock-'));

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the lock of a local deployment', () => {
  it('makes a second holder wait, naming the process that holds it, until it is released', async () => {
    const stateDir = path.join(root, 'wait', 'state');
    const first = await lockLocalState(stateDir, { command: 'kpi publish' });
    const seen: (StateHolder | undefined)[] = [];
    const second = lockLocalState(stateDir, {
      command: 'kpi history',
      noticeAfterMs: 50,
      pollMs: 20,
      onWaiting: (holder) => seen.push(holder),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual([expect.objectContaining({ pid: process.pid, command: 'kpi publish' })]);
    await first.release();
    const lock = await second;
    await lock.release();
  });

  it('gives up after the wait with a message naming the holder and how to wait longer', async () => {
    const stateDir = path.join(root, 'busy', 'state');
    const holder = await lockLocalState(stateDir, { command: 'npm start' });
    try {
      const attempt = lockLocalState(stateDir, { command: 'kpi history', waitMs: 200, pollMs: 20 });
      await expect(attempt).rejects.toBeInstanceOf(LocalStateBusyError);
      await expect(attempt).rejects.toThrow(
        new RegExp(
          `still in use by process ${process.pid} \\(npm start, since .* UTC\\) after \\d+ s;.*--wait SECONDS`,
        ),
      );
    } finally {
      await holder.release();
    }
  });

  it('removes its holder file on release, so nobody is named as holding a free deployment', async () => {
    const stateDir = path.join(root, 'release', 'state');
    const lock = await lockLocalState(stateDir, { command: 'kpi retire' });
    expect(existsSync(lockPathsOf(stateDir).holderFile)).toBe(true);
    await lock.release();
    await lock.release();
    expect(existsSync(lockPathsOf(stateDir).holderFile)).toBe(false);
  });
});
