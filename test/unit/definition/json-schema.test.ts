import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KPI_DEFINITION_SCHEMA_PATH, kpiDefinitionJsonSchemaText } from '../../../src/domain/definition/json-schema';

describe('the committed JSON Schema', () => {
  it('is exactly the one generated from the zod schema (regenerate with `npm run schemas`)', () => {
    expect(readFileSync(KPI_DEFINITION_SCHEMA_PATH, 'utf8')).toBe(kpiDefinitionJsonSchemaText());
  });

  it('describes every calculation type', () => {
    const text = readFileSync(KPI_DEFINITION_SCHEMA_PATH, 'utf8');
    for (const type of [
      'aggregate',
      'ratio',
      'arithmetic',
      'duration',
      'conversion',
      'entity_duration',
      'treatment_lift',
      'change',
      'streak',
    ]) {
      expect(text).toContain(`"const": "${type}"`);
    }
  });
});
