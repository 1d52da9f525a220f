// Test support: runs the `kpi` command as a process, the way people run it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { repoRoot } from '../../lib/repo-root';

/** The repository's root folder (lib/repo-root). */
export const REPO_ROOT = repoRoot;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kpi ...args` (bin/kpi.js under this Node) in `cwd`, the repository root by default. */
export function runKpi(args: readonly string[], cwd = REPO_ROOT): CliRun {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'kpi.js'), ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
