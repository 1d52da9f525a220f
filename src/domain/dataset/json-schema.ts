// Domain: the JSON Schema of dataset declarations, generated from the zod schema so editors check
// the same rules as the pipeline. Committed as schemas/dataset.schema.json (`npm run schemas`).
import * as z from 'zod';
import { datasetDeclarationSchema } from './declaration';

/** Where the committed schema lives, relative to the repository root. */
export const DATASET_SCHEMA_PATH = 'schemas/dataset.schema.json';

/** The JSON Schema (draft 2020-12) of a dataset declaration file, as written to disk. */
export function datasetJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(datasetDeclarationSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...generated,
    $id: 'https://github.com/agent-kpi-pipeline/agent-kpi-pipeline/schemas/dataset.schema.json',
    title: 'Agent KPI Pipeline dataset declaration',
    description:
      'How the files of one dataset become typed records: format, fields and types, renames, constants, derived fields, validation, event time, and where the data comes from.',
  };
}

/** The schema file's exact text: two-space JSON with a final newline. */
export function datasetJsonSchemaText(): string {
  return `${JSON.stringify(datasetJsonSchema(), null, 2)}\n`;
}
