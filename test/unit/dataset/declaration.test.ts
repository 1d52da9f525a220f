import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatasetDeclarationText } from '../../../src/contracts/dataset-declaration-files';
import { DatasetDeclarationError, eventTimeOf, validateDatasetDeclaration } from '../../../src/domain/dataset';
import { DATASET_SCHEMA_PATH, datasetJsonSchemaText } from '../../../src/domain/dataset/json-schema';

const minimal = {
  id: 'leads',
  description: 'Marketing-qualified leads',
  owner: 'crm-team@example.com',
  format: { type: 'csv' },
  fields: { lead_id: { type: 'string', required: true }, created_at: { type: 'timestamp' } },
  eventTime: 'created_at',
};

function problems(value: unknown): string[] {
  try {
    validateDatasetDeclaration(value, 'leads.yaml');
  } catch (error) {
    if (error instanceof DatasetDeclarationError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('dataset declaration', () => {
  it('requires pushes to name the field that holds the agent of an event, a string field', () => {
    const pushing = (push: object) => ({ ...minimal, ingestion: { push } });
    expect(problems(pushing({ enabled: true }))).toEqual([
      'ingestion.push.agentField: name the field that holds the agent of an event (e.g. agentField: agent_id): pushed events are held to the agent whose key signed them',
    ]);
    expect(problems(pushing({ agentField: 'created_at' }))).toEqual([
      'ingestion.push.agentField: "created_at" must be a declared string field',
    ]);
    expect(problems(pushing({ enabled: false }))).toEqual([]);
    const declaration = validateDatasetDeclaration(pushing({ agentField: 'lead_id' }), 'leads.yaml');
    expect(declaration.ingestion?.push).toEqual({ enabled: true, agentField: 'lead_id', onMismatch: 'refuse' });
    expect(problems(pushing({ agentField: 'lead_id', onMismatch: 'ignore' }))[0]).toMatch(
      /^ingestion\.push\.onMismatch: /,
    );
  });

  it('applies the documented defaults to a minimal declaration', () => {
    const declaration = validateDatasetDeclaration(minimal, 'leads.yaml');
    expect(declaration.format).toMatchObject({
      type: 'csv',
      delimiter: ',',
      quote: '"',
      header: true,
      compression: 'auto',
      encoding: 'utf-8',
    });
    expect(declaration.nullValues).toEqual(['']);
    expect(eventTimeOf(declaration)).toEqual({ field: 'created_at', notBefore: '2000-01-01', maxFutureMinutes: 1440 });
  });

  it('rejects a dataset id with capitals or dashes', () => {
    expect(problems({ ...minimal, id: 'Lead-Events' })).toEqual([
      'id: must be lowercase letters, digits and underscores, starting with a letter',
    ]);
  });

  it('rejects an event time that is not a timestamp field', () => {
    expect(problems({ ...minimal, eventTime: 'lead_id' })).toEqual(['eventTime: "lead_id" must be a timestamp field']);
  });

  it('says the naming rule and the rename to use for a field named like its column', () => {
    const { lead_id, ...rest } = minimal.fields;
    expect(problems({ ...minimal, fields: { ...rest, VisitorType: lead_id } })).toEqual([
      'fields.VisitorType: "VisitorType" is not a valid field name: names are lowercase letters, digits and underscores, starting with a letter. To read the column "VisitorType", declare the field visitor_type and add `renames: { VisitorType: visitor_type }`',
    ]);
  });

  it('quotes a column with a space in the rename it suggests', () => {
    expect(problems({ ...minimal, fields: { ...minimal.fields, 'Opportunity ID': { type: 'string' } } })).toEqual([
      expect.stringContaining(
        'declare the field opportunity_id and add `renames: { "Opportunity ID": opportunity_id }`',
      ),
    ]);
  });

  it('says a missing section is required rather than of the wrong type', () => {
    const { format: _format, eventTime: _eventTime, ...rest } = minimal;
    expect(problems(rest)).toEqual(['format: is required', 'eventTime: is required']);
  });

  it('rejects a rename to an undeclared field', () => {
    expect(problems({ ...minimal, renames: { 'Lead ID': 'lead' } })).toEqual([
      'renames.Lead ID: renames to "lead", which is not a declared field',
    ]);
  });

  it('rejects a derived field that reads a field declared after it', () => {
    expect(
      problems({
        ...minimal,
        derived: {
          label: { kind: 'concat', fields: ['lead_id', 'later'] },
          later: { kind: 'equals', field: 'lead_id', value: 'x' },
        },
      }),
    ).toEqual(['derived.label: uses "later", which is not a field, constant or earlier derived field']);
  });

  it('rejects a timestamp pattern with a month name', () => {
    expect(
      problems({ ...minimal, fields: { ...minimal.fields, created_at: { type: 'timestamp', format: 'DD/MMM/YYYY' } } }),
    ).toEqual([
      'fields.created_at.format: "DD/MMM/YYYY" has the month twice (names of months or days, e.g. MMM, are not supported)',
    ]);
  });

  it('rejects a regular expression that does not compile', () => {
    const [problem] = problems({
      ...minimal,
      fields: { ...minimal.fields, lead_id: { type: 'string', pattern: '(' } },
    });
    expect(problem).toMatch(/^fields\.lead_id\.pattern: not a valid regular expression/);
  });

  it('requires the column list of a CSV without a header', () => {
    expect(problems({ ...minimal, format: { type: 'csv', header: false } })).toEqual([
      'format.columns: list the columns by position when the file has no header',
    ]);
  });

  it('rejects a key it does not know, naming it', () => {
    expect(problems({ ...minimal, feilds: {} })).toEqual(['Unrecognized key: "feilds"']);
  });

  it('names the file and the YAML line of a syntax error', () => {
    expect(() => parseDatasetDeclarationText('id: leads\nfields: [unclosed\n', 'datasets/leads.yaml')).toThrow(
      /^datasets\/leads\.yaml: not valid YAML: .*line 3/,
    );
  });

  it('reads the same declaration from YAML and from JSON', () => {
    const yaml = [
      'id: leads',
      'description: Marketing-qualified leads',
      'owner: crm-team@example.com',
      'format: { type: csv }',
      'fields:',
      '  lead_id: { type: string, required: true }',
      '  created_at: { type: timestamp }',
      'eventTime: created_at',
    ].join('\n');
    expect(parseDatasetDeclarationText(yaml, 'leads.yaml')).toEqual(
      parseDatasetDeclarationText(JSON.stringify(minimal), 'leads.json'),
    );
  });
});

describe('dataset JSON Schema', () => {
  it('is committed exactly as generated from the zod schema (npm run schemas)', () => {
    const committed = readFileSync(path.resolve(import.meta.dirname, '../../..', DATASET_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(datasetJsonSchemaText());
  });
});
