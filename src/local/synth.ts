// Local runtime: synthesizes the CDK app in-process (no bundling, no cdk-nag: `cdk synth` and the
// test suite check those) and returns its templates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
