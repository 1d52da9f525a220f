// Every shell block of README.md and docs/*.md marked `<!-- runnable -->` (the line before its
// fence) runs here, command by command and in order, on a fresh local deployment in a folder of its
// own per document (with a copy of kpis/, schemas/ and examples/), so a doc that drifts from what
// the commands do fails the suite. `kpi` and `npx kpi` lines run the CLI in-process; other lines run
// in bash. A few placeholders are filled by the test (FILL_INS below).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli';
import { runKpiInProcess } from '../support/cli-in-process';

const DOCUMENTS = [
  'README.md',
  'docs/kpi-definitions.md',
  'docs/datasets.md',
  'docs/ingestion.md',
  'docs/definitions-and-values.md',
  'docs/approvals.md',
];

/** Lines of the docs that stand for something a reader does by hand, and what the test does instead. */
const FILL_INS: Record<string, (cwd: string) => void> = {
  // README: "--input crm_leads=export.csv" names the reader's own export.
  'export.csv': (cwd) => cpSync(path.join(cwd, '.local', 'sample-data', 'crm_leads.csv'), path.join(cwd, 'export.csv')),
  // docs/definitions-and-values.md: "# … edit kpis/definitions/ctr.yaml (…), then:"
  '# … edit kpis/definitions/ctr.yaml': (cwd) => {
    const file = path.join(cwd, 'kpis', 'definitions', 'ctr.yaml');
    const text = readFileSync(file, 'utf8');
    if (!text.includes('green: 0.015')) throw new Error('ctr.yaml no longer has green: 0.015 to tighten');
    writeFileSync(file, text.replace('green: 0.015', 'green: 0.02'));
  },
};

interface RunnableBlock {
  readonly line: number;
  readonly commands: { readonly line: number; readonly text: string }[];
}

/** The runnable blocks of a markdown text, with each command's line (continuations joined). */
function runnableBlocks(markdown: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i]?.trim() !== '<!-- runnable -->') continue;
    if (!/^```(bash|sh)\s*$/.test(lines[i + 1] ?? ''))
      throw new Error(`line ${i + 1}: a runnable mark not before a bash block`);
    const commands: { line: number; text: string }[] = [];
    let j = i + 2;
    let pending: { line: number; text: string } | undefined;
    for (; j < lines.length && !lines[j]?.startsWith('```'); j += 1) {
      const text = lines[j] as string;
      if (pending) pending = { line: pending.line, text: `${pending.text} ${text.trim()}` };
      else if (text.trim() !== '') pending = { line: j + 1, text: text.trim() };
      if (pending && !pending.text.endsWith('\\')) {
        commands.push(pending);
        pending = undefined;
      } else if (pending) pending = { line: pending.line, text: pending.text.slice(0, -1).trimEnd() };
    }
    blocks.push({ line: i + 1, commands });
    i = j;
  }
  return blocks;
}

/** Shell words of a command, quotes removed, up to an unquoted comment. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word = (word ?? '') + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '#' && word === undefined) {
      break;
    } else word = (word ?? '') + char;
  }
  if (word !== undefined) words.push(word);
  return words;
}

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe.each(DOCUMENTS)('the runnable commands of %s', (document) => {
  const blocks = runnableBlocks(readFileSync(path.join(REPO_ROOT, document), 'utf8'));

  it('run in order on a fresh local deployment, each succeeding', async () => {
    if (blocks.length === 0) return;
    const cwd = mkdtempSync(path.join(tmpdir(), 'kpi-docs-'));
    folders.push(cwd);
    for (const dir of ['kpis', 'schemas', 'examples'])
      cpSync(path.join(REPO_ROOT, dir), path.join(cwd, dir), { recursive: true });
    for (const block of blocks) {
      for (const command of block.commands) {
        const where = `${document}:${command.line}: ${command.text}`;
        for (const [placeholder, fill] of Object.entries(FILL_INS)) if (command.text.includes(placeholder)) fill(cwd);
        const words = shellWords(command.text);
        if (words.length === 0) continue;
        const args =
          words[0] === 'npx' && words[1] === 'kpi' ? words.slice(2) : words[0] === 'kpi' ? words.slice(1) : null;
        if (args === null) {
          try {
            execFileSync('bash', ['-euo', 'pipefail', '-c', command.text], { cwd, stdio: 'pipe' });
          } catch (error) {
            throw new Error(`${where}\n${(error as { stderr?: Buffer }).stderr?.toString() ?? String(error)}`);
          }
          continue;
        }
        const redirect = args.indexOf('>');
        const run = await runKpiInProcess(redirect >= 0 ? args.slice(0, redirect) : args, cwd);
        if (redirect >= 0) writeFileSync(path.resolve(cwd, args[redirect + 1] as string), run.stdout);
        expect({ where, code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
          where,
          code: 0,
          stderr: '',
        });
        expect(run.stderr, where).not.toMatch(/\n\s+at /);
      }
    }
  }, 240_000);
});
