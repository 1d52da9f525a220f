// CLI: `kpi validate PATH...` checks definition files (and folders of them); exit 1 on any problem.
import path from 'node:path';
import { readSourceDocument } from '../../adapters/files/documents';
import { definitionFromDocument, documentFiles, isDefinitionDocument } from '../../adapters/files/kpi-definition-files';
import { DefinitionError, formatIssue } from '../../domain/definition/errors';
import { type CliCommand, UsageError } from '../command';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'validate',
  summary: 'check KPI definition files; errors name the file, the line, the path inside it and the problem',
  usage: `Usage: kpi validate PATH...

Checks every KPI definition file (.yaml, .yml, .json) given, or found under the folders given.
Each problem is printed as  file:line: path.inside.file: what is wrong
Exit status: 0 when every file is valid, 1 otherwise.

  kpi validate kpis/
  kpi validate kpis/definitions/ctr_lift.yaml`,
  async run(context) {
    const { positionals } = parseOptions(context.args, {}, true);
    if (positionals.length === 0) throw new UsageError('give at least one file or folder to validate');
    const files = documentFiles(positionals.map((p) => path.resolve(context.cwd, p)));
    if (files.length === 0) throw new UsageError(`no .yaml, .yml or .json file under ${positionals.join(', ')}`);
    const ids = new Map<string, string>();
    let valid = 0;
    let invalid = 0;
    for (const file of files) {
      const shown = path.relative(context.cwd, file) || file;
      const document = readSourceDocument(file);
      if (document.syntaxIssues.length === 0 && !isDefinitionDocument(document)) {
        context.stdout(`skip  ${shown}  (not a KPI definition)\n`);
        continue;
      }
      try {
        const definition = definitionFromDocument(document);
        const first = ids.get(definition.id);
        if (first !== undefined) {
          throw new DefinitionError(file, [
            { path: ['id'], message: `${definition.id} is also defined in ${first}`, line: document.lineOf(['id']) },
          ]);
        }
        ids.set(definition.id, shown);
        valid += 1;
        context.stdout(`ok    ${shown}  ${definition.id}\n`);
      } catch (error) {
        if (!(error instanceof DefinitionError)) throw error;
        invalid += 1;
        for (const issue of error.issues) {
          const where = issue.line === undefined ? shown : `${shown}:${issue.line}`;
          context.stderr(`${where}: ${formatIssue({ ...issue, line: undefined })}\n`);
        }
      }
    }
    context.stdout(`${valid} valid, ${invalid} invalid\n`);
    return invalid === 0 ? 0 : 1;
  },
};
