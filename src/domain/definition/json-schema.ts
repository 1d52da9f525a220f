// Domain: the JSON Schema of definition files, generated from the zod schema (never written by hand).
import * as z from 'zod';
import { kpiDefinitionSchema } from './schema';

/** Where the committed JSON Schema lives, relative to the repository root. */
export const KPI_DEFINITION_SCHEMA_PATH = 'schemas/kpi-definition.schema.json';

/** The committed schema file's text: the generated schema, 2-space indented, with a final newline. */
export function kpiDefinitionJsonSchemaText(): string {
  return `${JSON.stringify(kpiDefinitionJsonSchema(), null, 2)}\n`;
}

/** The JSON Schema (draft 2020-12) of a definition file as written: defaulted fields are optional. */
export function kpiDefinitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(kpiDefinitionSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
