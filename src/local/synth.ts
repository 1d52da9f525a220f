// Local runtime: synthesizes the CDK app in-process (no bundling, no cdk-nag: `cdk synth` and the
// test suite check those) and returns its templates; `localTemplates` keeps them in a cache keyed by
// everything the synthesis reads, so `kpi` commands and `npm start` skip it while nothing changed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../lib/repo-root';
import type { StackTemplate } from './template';

export async function synthesizeTemplates(context: Record<string, unknown> = {}): Promise<StackTemplate[]> {
  const { buildApp } = await import('../../lib/app');
  const outdir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-synth-'));
  try {
    // CloudFormation's own template validation (a WASM engine, seconds of CPU) runs in `cdk synth`
    // and CI; the local runtime only needs the templates.
    const { app } = buildApp({
      bundle: false,
      nag: false,
      validate: false,
      outdir,
      context,
    });
    const assembly = app.synth();
    return assembly.stacks.map((stack) => ({ stackName: stack.stackName, template: stack.template }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The templates of the app: the ones the test suite synthesized once (AGENT_KPI_TEMPLATES_FILE),
 * else the cached ones when nothing the synthesis reads has changed, else a new synthesis (cached).
 */
export async function localTemplates(context?: Record<string, unknown>): Promise<StackTemplate[]> {
  const shared = process.env.AGENT_KPI_TEMPLATES_FILE;
  if (shared && !context) return JSON.parse(readFileSync(shared, 'utf8')) as StackTemplate[];
  const cacheDir = path.join(repoRoot, '.local', 'cache');
  const file = path.join(cacheDir, `templates-${synthesisKey(context ?? {})}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackTemplate[];
  } catch {
    // Not cached yet (or a partial file from a crash): synthesize.
  }
  const templates = await synthesizeTemplates(context);
  try {
    mkdirSync(cacheDir, { recursive: true });
    for (const old of readdirSync(cacheDir)) {
      if (old.startsWith('templates-')) rmSync(path.join(cacheDir, old), { force: true });
    }
    // Written aside and renamed: a concurrent reader sees the whole file or none.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(templates));
    renameSync(partial, file);
  } catch {
    // A read-only checkout: no cache, same templates.
  }
  return templates;
}

/**
 * A digest of what the synthesis reads: the app's sources (lib/, and src/, functions/ and kpis/,
 * which it imports or reads), cdk.json, the package files, the commit (the code version recorded
 * in manifests), the extra context and the environment it looks at.
 */
function synthesisKey(context: Record<string, unknown>): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        hash.update(`${path.relative(repoRoot, full)}\0`);
        hash.update(readFileSync(full));
      }
    }
  };
  for (const dir of ['lib', 'src', 'functions', 'kpis']) walk(path.join(repoRoot, dir));
  for (const file of ['cdk.json', 'package.json', 'package-lock.json']) {
    try {
      hash.update(`${file}\0`);
      hash.update(readFileSync(path.join(repoRoot, file)));
    } catch {
      // absent: part of the key as such
    }
  }
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout
  }
  hash.update(
    JSON.stringify({
      commit,
      context,
      account: process.env.CDK_DEFAULT_ACCOUNT ?? null,
      region: process.env.CDK_DEFAULT_REGION ?? null,
    }),
  );
  return hash.digest('hex').slice(0, 32);
}
