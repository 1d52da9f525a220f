// vitest globalSetup: synthesizes the CDK app once for the whole run and shares the templates with
// every test file through AGENT_KPI_TEMPLATES_FILE, so each LocalCloud skips its own synthesis.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthesizeTemplates } from '../../src/local/synth';

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-templates-'));
  const file = path.join(dir, 'templates.json');
  writeFileSync(file, JSON.stringify(await synthesizeTemplates()));
  process.env.AGENT_KPI_TEMPLATES_FILE = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
