import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDefinitionFile, readDefinitionFiles } from '../../../src/contracts/kpi-definition-files';
import { DefinitionError } from '../../../src/domain/definition/errors';

const GOOD = `# yaml-language-server: $schema=../schemas/kpi-definition.schema.json
id: spend
name: Spend
description: Ad spend per day.
category: business_impact
owner: { name: Paid media, email: paid@example.com }
datasets:
  - id: ads
    timeField: ts
calculation:
  type: aggregate
  dataset: ads
  aggregate: sum
  field: spend
grain: day
cadence: hourly
target:
  direction: lower_is_better
  value: 1000
  description: under budget
  thresholds: { green: 1000, yellow: 1200 }
guardrail: { levelOfDecision: low, useCase: campaign_optimization }
`;

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kpi-defs-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function errorOf(file: string): DefinitionError {
  try {
    readDefinitionFile(file);
  } catch (error) {
    if (error instanceof DefinitionError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('definition files', () => {
  it('reads a YAML definition', () => {
    const dir = folderWith({ 'spend.yaml': GOOD });
    expect(readDefinitionFile(path.join(dir, 'spend.yaml')).definition.id).toBe('spend');
  });

  it('reads the same definition written as JSON', () => {
    const dir = folderWith({
      'spend.json': JSON.stringify({
        $schema: '../schemas/kpi-definition.schema.json',
        ...readDefinitionFile(path.join(folderWith({ 'a.yaml': GOOD }), 'a.yaml')).definition,
      }),
    });
    expect(readDefinitionFile(path.join(dir, 'spend.json')).definition.id).toBe('spend');
  });

  it('gives the line of the value at fault', () => {
    const dir = folderWith({ 'spend.yaml': GOOD.replace('aggregate: sum', 'aggregate: total') });
    const error = errorOf(path.join(dir, 'spend.yaml'));
    expect(error.issues).toEqual([
      {
        path: ['calculation', 'aggregate'],
        line: 13,
        message: 'must be one of "count", "count_distinct", "sum", "avg", "min", "max", "percentile"',
      },
    ]);
  });

  it('gives the line of the parent when a key is missing', () => {
    const dir = folderWith({ 'spend.yaml': GOOD.replace('  field: spend\n', '') });
    expect(errorOf(path.join(dir, 'spend.yaml')).issues[0]).toMatchObject({ path: ['calculation', 'field'], line: 10 });
  });

  it('reports a YAML syntax error with its line', () => {
    const dir = folderWith({ 'spend.yaml': GOOD.replace('grain: day', 'grain: [day') });
    expect(errorOf(path.join(dir, 'spend.yaml')).issues[0]?.line).toBeGreaterThanOrEqual(15);
  });

  it('reports a second file with the same id as an error of that file', () => {
    const dir = folderWith({ 'a.yaml': GOOD, 'b.yaml': GOOD });
    const { definitions, errors } = readDefinitionFiles([dir]);
    expect(definitions).toHaveLength(1);
    expect(errors[0]?.file).toBe(path.join(dir, 'b.yaml'));
  });
});
