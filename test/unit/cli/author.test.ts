import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/command';
import { authorOf } from '../../../src/cli/definition-commands';

const dir = mkdtempSync(path.join(tmpdir(), 'kpi-author-'));
const repo = path.join(dir, 'repo');
// No global or system git configuration leaks in.
const isolated = { HOME: dir, GIT_CONFIG_GLOBAL: path.join(dir, 'none'), GIT_CONFIG_NOSYSTEM: '1' };
execFileSync('git', ['init', '-q', repo], { env: { ...process.env, ...isolated } });

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const context = (env: Record<string, string>, cwd = repo): CliContext => ({
  args: [],
  cwd,
  env: { PATH: process.env.PATH ?? '', ...isolated, ...env },
  stdout: () => undefined,
  stderr: () => undefined,
  now: () => 0,
});

describe('the author of a change', () => {
  it('is the --author given, before anything else', () => {
    expect(authorOf('ana', context({ KPI_AUTHOR: 'bob', USER: 'root' }))).toBe('ana');
  });

  it("is git's user.email for the working folder when no --author or KPI_AUTHOR says", () => {
    execFileSync('git', ['config', 'user.email', 'maria@example.com'], {
      cwd: repo,
      env: { ...process.env, ...isolated },
    });
    try {
      expect(authorOf(undefined, context({ USER: 'root' }))).toBe('maria@example.com');
    } finally {
      execFileSync('git', ['config', '--unset', 'user.email'], { cwd: repo, env: { ...process.env, ...isolated } });
    }
  });

  it('is the login name outside a git identity', () => {
    expect(authorOf(undefined, context({ USER: 'root' }, dir))).toBe('root');
  });

  it('is asked for, naming the option, when nothing says who', () => {
    expect(() => authorOf(undefined, context({}, dir), '--operator')).toThrow(
      /say who makes this change: --operator NAME/,
    );
  });
});
