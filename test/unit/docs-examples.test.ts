// The examples of docs/kpi-definitions.md are valid: complete definitions and declarations as they
// are, calculation / target / dimension / filter snippets inside a definition that lacks only them;
// and those of docs/datasets.md, parts of a declaration inside a minimal one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateDatasetDeclaration } from '../../src/domain/dataset';
import { parseDefinition } from '../../src/domain/definition/parse';
import { definitionInput } from '../support/definitions';

const markdown = readFileSync('docs/kpi-definitions.md', 'utf8');
const blocks = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => {
  const text = m[1] as string;
  const indent = /^ */.exec(text)?.[0].length ?? 0;
  return text.replace(new RegExp(`^ {${indent}}`, 'gm'), '');
});

/** Every `dataset: x` the snippet names, as the datasets list of the wrapping definition. */
function datasetsOf(snippet: unknown): { id: string; timeField: string }[] {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'dataset' && typeof value === 'string') ids.add(value);
        else visit(value);
      }
    }
  };
  visit(snippet);
  return [...ids].map((id) => ({ id, timeField: 'ts' }));
}

const base = {
  datasets: [{ id: 'ad_performance', timeField: 'ts' }],
  calculation: { type: 'aggregate' as const, dataset: 'ad_performance', aggregate: 'count' as const },
};

describe('docs/kpi-definitions.md', () => {
  it('has examples to check', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it.each(blocks.map((block, index) => [index, block] as const))('example %i is valid', (_index, block) => {
    if (block.startsWith('filter:')) {
      for (const line of block.trim().split('\n')) {
        const { filter } = parse(line) as { filter: unknown };
        parseDefinition(definitionInput({ ...base, calculation: { ...base.calculation, filter } as never }), 'docs');
      }
      return;
    }
    const document = parse(block) as Record<string, unknown>;
    if ('fields' in document) {
      expect(validateDatasetDeclaration(document, 'docs').id).toBe(document.id);
    } else if ('id' in document) {
      expect(parseDefinition(document, 'docs').id).toBe(document.id);
    } else if ('calculation' in document) {
      parseDefinition(
        definitionInput({ calculation: document.calculation as never, datasets: datasetsOf(document) }),
        'docs',
      );
    } else if ('aggregate' in document) {
      const calculation = { type: 'aggregate', ...document } as never;
      parseDefinition(definitionInput({ calculation, datasets: datasetsOf(document) }), 'docs');
    } else if ('target' in document) {
      parseDefinition(definitionInput({ ...base, target: document.target as never }), 'docs');
    } else if ('dimensions' in document) {
      const datasets = [
        { id: 'ad_performance', timeField: 'ts' },
        { id: 'crm_opportunities', timeField: 'ts' },
      ];
      const calculation = {
        type: 'ratio' as const,
        numerator: { dataset: 'crm_opportunities', aggregate: 'count' as const },
        denominator: { dataset: 'ad_performance', aggregate: 'count' as const },
      };
      parseDefinition(definitionInput({ datasets, calculation, dimensions: document.dimensions as never }), 'docs');
    } else {
      throw new Error(`an example the test does not know how to check:\n${block}`);
    }
  });
});

describe('docs/datasets.md', () => {
  const text = readFileSync('docs/datasets.md', 'utf8');
  const yamlBlocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string) as unknown);
  const minimal = {
    id: 'example',
    description: 'an example',
    owner: 'data@example.com',
    format: { type: 'csv' },
    fields: { at: { type: 'timestamp' } },
    eventTime: 'at',
  };

  it.each(yamlBlocks.map((block, index) => [index, block] as const))('example %i is valid', (_index, block) => {
    const document = (block ?? {}) as Record<string, unknown>;
    if ('id' in document) {
      expect(validateDatasetDeclaration(document, 'docs').id).toBe(document.id);
      return;
    }
    // A part of a declaration: completed with the minimal one (its fields added to the minimal ones).
    const keyFields = ((document.key as string[] | undefined) ?? []).map((name) => [
      name,
      { type: 'string', required: true },
    ]);
    const fields = {
      ...minimal.fields,
      ...Object.fromEntries(keyFields),
      ...((document.fields as object | undefined) ?? {}),
    };
    const eventTime = 'day' in fields ? 'day' : 'at';
    expect(() => validateDatasetDeclaration({ ...minimal, ...document, fields, eventTime }, 'docs')).not.toThrow();
  });
});

describe('docs/forecasts-and-calibration.md', () => {
  const page = readFileSync('docs/forecasts-and-calibration.md', 'utf8');
  const snippets = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string) as object);

  it('has the forecast and calibration blocks to check', () => {
    expect(snippets.map((s) => Object.keys(s)[0])).toEqual(['forecast', 'calibration']);
  });

  it('shows blocks a definition accepts as they are', () => {
    for (const snippet of snippets) {
      expect(() => parseDefinition(definitionInput({ ...base, ...snippet }), 'docs')).not.toThrow();
    }
  });
});
