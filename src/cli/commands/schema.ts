// CLI: `kpi schema` prints the JSON Schema of KPI definition files.
import { kpiDefinitionJsonSchema } from '../../domain/definition/json-schema';
import type { CliCommand } from '../command';
import { parseOptions } from '../options';

/** The committed schema file's text: the generated schema, 2-space indented, with a final newline. */
export function kpiDefinitionSchemaText(): string {
  return `${JSON.stringify(kpiDefinitionJsonSchema(), null, 2)}\n`;
}

export const command: CliCommand = {
  name: 'schema',
  summary: 'print the JSON Schema of KPI definition files',
  usage: `Usage: kpi schema

Prints the JSON Schema (draft 2020-12) of KPI definition files, generated from the same zod schema
that validates them. The repository keeps a copy in schemas/kpi-definition.schema.json:
  kpi schema > schemas/kpi-definition.schema.json`,
  async run(context) {
    parseOptions(context.args, {});
    context.stdout(kpiDefinitionSchemaText());
    return 0;
  },
};
