import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runKpi } from '../../support/cli';

describe('kpi validate', () => {
  it('accepts the default pack: every definition and dataset declaration, definitions checked against the datasets', () => {
    const run = runKpi(['validate', 'kpis/']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ok {4}kpis\/definitions\/ctr_lift\.yaml {2}kpi ctr_lift$/m);
    expect(run.stdout).toMatch(/^ok {4}kpis\/datasets\/web_sessions\.yaml {2}dataset web_sessions$/m);
    expect(run.stdout).toMatch(/^\d+ valid, 0 invalid$/m);
  });

  it('names the file, the line, the path inside it and the problem, and exits 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kpi-validate-'));
    const broken = readFileSync(path.join(REPO_ROOT, 'kpis/definitions/retry_rate.yaml'), 'utf8')
      .replace('{ field: attempt, gt: 1 }', '{ field: attempt, gt: "1" }')
      .replace('grain: day', 'grain: fortnight');
    writeFileSync(path.join(dir, 'retry_rate.yaml'), broken);
    const run = runKpi(['validate', '--datasets', path.join(REPO_ROOT, 'kpis/datasets'), dir]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /retry_rate\.yaml:\d+: grain: must be one of "minute", "hour", "day", "week", "month", "quarter", "year", "all_time"$/,
      ),
    ]);
    writeFileSync(path.join(dir, 'retry_rate.yaml'), broken.replace('grain: fortnight', 'grain: day'));
    const typed = runKpi(['validate', '--datasets', path.join(REPO_ROOT, 'kpis/datasets'), dir]);
    expect(typed.code).toBe(1);
    expect(typed.stderr).toMatch(
      /retry_rate\.yaml:16: calculation\.numerator\.filter\.and\[1\]\.gt: agent_events\.attempt is an integer field: compare it with a number, not "1"/,
    );
  });
});

describe('kpi validate, for a new author', () => {
  const original = readFileSync(path.join(REPO_ROOT, 'kpis/definitions/retry_rate.yaml'), 'utf8');
  const validate = (text: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kpi-validate-'));
    writeFileSync(path.join(dir, 'retry_rate.yaml'), text);
    return runKpi(['validate', '--datasets', path.join(REPO_ROOT, 'kpis/datasets'), dir]);
  };

  it('rejects a filter value outside the field enum and suggests the value of another case', () => {
    const run = validate(
      original.replace('filter: { field: event_type, eq: run }', 'filter: { field: event_type, eq: Run }'),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /retry_rate\.yaml:20: calculation\.denominator\.filter\.eq: "Run" is never a value of agent_events\.event_type \(its values: run, .*\); did you mean "run"\?$/m,
    );
  });

  it('says a missing grain is required', () => {
    const run = validate(original.replace('grain: day\n', ''));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/retry_rate\.yaml(:\d+)?: grain: is required: one of "minute", "hour", "day"/);
  });
});

describe('kpi schema', () => {
  it('prints the JSON Schema the repository keeps in schemas/kpi-definition.schema.json', () => {
    const run = runKpi(['schema']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(path.join(REPO_ROOT, 'schemas/kpi-definition.schema.json'), 'utf8'));
  });
});

describe('kpi errors', () => {
  it('are one line without a stack trace, exit 2 for a wrong command line', () => {
    const run = runKpi(['compute', '--definitions', 'kpis/definitions', '--bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^kpi compute: Unknown option '--bogus'.*\nRun `kpi compute --help` for usage\.\n$/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('show the stack trace with --debug', () => {
    const run = runKpi(['compute', '--definitions', 'kpis/definitions', '--datasets', 'no/such/folder', '--debug']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^kpi compute: ValidationError: \S+no\/such\/folder: cannot read the datasets folder/);
    expect(run.stderr).toMatch(/\n\s+at /);
  });
});
