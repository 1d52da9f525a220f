// CLI: `kpi schema` prints the JSON Schema of KPI definition files.
import { kpiDefinitionJsonSchemaText } from '../../domain/definition/json-schema';
import type { CliCommand } from '../command';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'schema',
  summary: 'print the JSON Schema of KPI definition files',
  usage: `Usage: kpi schema

Prints the JSON Schema (draft 2020-12) of KPI definition files, generated from the same zod schema
that validates them. The repository keeps a copy in schemas/kpi-definition.schema.json, which
\`npm run schemas\` (or kpi schema > schemas/kpi-definition.schema.json) rewrites.`,
  async run(context) {
    parseOptions(context.args, {});
    context.stdout(kpiDefinitionJsonSchemaText());
    return 0;
  },
};
