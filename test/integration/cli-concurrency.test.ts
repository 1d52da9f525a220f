import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli';
import { runKpiInProcess } from '../support/cli-in-process';

let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'kpi-concurrent-'));
  const original = readFileSync(path.join(REPO_ROOT, 'kpis/definitions/ctr.yaml'), 'utf8');
  for (let i = 0; i <= 5; i += 1) {
    writeFileSync(
      path.join(cwd, `ctr-${i}.yaml`),
      original.replace(
        'thresholds: { green: 0.015, yellow: 0.008 }',
        `thresholds: { green: 0.0${20 + i}, yellow: 0.008 }`,
      ),
    );
  }
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/** `kpi ...args` as its own process, started without waiting for it. */
function startKpi(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'kpi.js'), ...args], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '', KPI_AUTHOR: 'ci@example.com' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kpi commands run at the same time on one local deployment', () => {
  it('all succeed, one after another, and the versions published are contiguous', async () => {
    const first = await runKpiInProcess(['publish', '--reason', 'first', path.join(cwd, 'ctr-0.yaml')], cwd);
    expect(first.code).toBe(0);
    const commands = [
      ['publish', '--reason', 'one', 'ctr-1.yaml'],
      ['history', 'ctr'],
      ['publish', '--reason', 'two', 'ctr-2.yaml'],
      ['history', 'ctr', '--format', 'json'],
      ['publish', '--reason', 'three', 'ctr-3.yaml'],
      ['publish', '--reason', 'four', 'ctr-4.yaml'],
      ['history', 'ctr'],
      ['publish', '--reason', 'five', 'ctr-5.yaml'],
    ];
    const runs = await Promise.all(commands.map((args) => startKpi(args)));
    for (const [i, run] of runs.entries()) {
      expect({ command: commands[i]?.join(' '), code: run.code, stderr: run.stderr }).toEqual({
        command: commands[i]?.join(' '),
        code: 0,
        stderr: expect.not.stringMatching(/Database is closed|\n\s+at /),
      });
    }
    // Everyone but the first to get the deployment waited for it, and said for whom.
    expect(
      runs.filter((r) => /waiting for process \d+ \(kpi (publish|history), since/.test(r.stderr)).length,
    ).toBeGreaterThan(0);
    const history = JSON.parse((await runKpiInProcess(['history', 'ctr', '--format', 'json'], cwd)).stdout);
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(history.changes.map((c: { seq: number }) => c.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(history.versions.map((v: { reason: string }) => v.reason))).toEqual(
      new Set(['first', 'one', 'two', 'three', 'four', 'five']),
    );
  }, 240_000);
});
