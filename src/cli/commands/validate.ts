// CLI: `kpi validate PATH...` checks KPI definitions and dataset declarations, and each definition
// against the datasets it reads; exit 1 on any problem.
import path from 'node:path';
import { type LoadedDataset, loadDatasetCatalog, loadDatasetFile } from '../../adapters/local/dataset-files';
import { datasetFieldsOf } from '../../adapters/local/dataset-record-source';
import { readSourceDocument, type SourceDocument } from '../../contracts/documents';
import { definitionFromDocument, documentFiles, isDefinitionDocument } from '../../contracts/kpi-definition-files';
import { DatasetDeclarationError } from '../../domain/dataset/errors';
import { checkDefinitionFields, type DatasetFields } from '../../domain/definition/check-fields';
import { DefinitionError, formatIssue } from '../../domain/definition/errors';
import type { KpiDefinition } from '../../domain/definition/schema';
import type { CliCommand, CliContext } from '../command';
import { UsageError } from '../command';
import { displayPath } from '../format';
import { parseOptions } from '../options';

/** Whether a document is a dataset declaration (by its `$schema`, or by having `fields` and `format`). */
function isDatasetDocument(document: SourceDocument): boolean {
  const content = document.content;
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return false;
  const schema = (content as Record<string, unknown>).$schema;
  if (typeof schema === 'string') return schema.endsWith('dataset.schema.json');
  return 'fields' in content && 'format' in content;
}

export const command: CliCommand = {
  name: 'validate',
  summary: 'check KPI definitions and dataset declarations; errors name the file, the line, the path and the problem',
  usage: `Usage: kpi validate [--datasets DIR] PATH...

Checks every KPI definition and dataset declaration (.yaml, .yml, .json) given, or found under the
folders given, and each definition against the datasets it reads (fields present, types that fit):
the datasets declared among PATH, plus those under --datasets DIR.
Each problem is printed as  file:line: path.inside.file: what is wrong
Exit status: 0 when every file is valid, 1 otherwise.

  kpi validate kpis/
  kpi validate --datasets kpis/datasets kpis/definitions/ctr_lift.yaml`,
  async run(context) {
    const { values, positionals } = parseOptions(context.args, { datasets: { type: 'string' } }, true);
    if (positionals.length === 0) throw new UsageError('give at least one file or folder to validate');
    const files = documentFiles(positionals.map((p) => path.resolve(context.cwd, p)));
    if (files.length === 0) throw new UsageError(`no .yaml, .yml or .json file under ${positionals.join(', ')}`);
    const datasets = new Map<string, LoadedDataset>(
      values.datasets === undefined ? [] : await loadDatasetCatalog(path.resolve(context.cwd, values.datasets)),
    );
    const tally: Tally = { valid: 0, invalid: 0, shown: (file) => displayPath(context.cwd, file) };
    const definitions = await readDocuments(files, datasets, context, tally);
    checkFields(definitions, datasets, context, tally);
    if (datasets.size === 0 && definitions.length > 0) {
      context.stdout('note  no dataset declarations given: fields were not checked (add --datasets DIR)\n');
    }
    context.stdout(`${tally.valid} valid, ${tally.invalid} invalid\n`);
    return tally.invalid === 0 ? 0 : 1;
  },
};

function report(context: CliContext, error: DefinitionError, shown: (file: string) => string): void {
  for (const issue of error.issues) {
    const where = issue.line === undefined ? shown(error.file) : `${shown(error.file)}:${issue.line}`;
    context.stderr(`${where}: ${formatIssue({ ...issue, line: undefined })}\n`);
  }
}

/** The files found valid and invalid so far, and how a file is shown. */
interface Tally {
  valid: number;
  invalid: number;
  readonly shown: (file: string) => string;
}

interface ReadDefinition {
  readonly file: string;
  readonly document: SourceDocument;
  readonly definition: KpiDefinition;
}

/**
 * Reads every file: a dataset declaration is checked and added to `datasets`; a KPI definition is
 * parsed (ids must be unique) and returned for the field check; anything else is invalid.
 */
async function readDocuments(
  files: readonly string[],
  datasets: Map<string, LoadedDataset>,
  context: CliContext,
  tally: Tally,
): Promise<ReadDefinition[]> {
  const { shown } = tally;
  const fail = (file: string, message: string) => context.stderr(`${shown(file)}: ${message}\n`);
  const definitions: ReadDefinition[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    if (file.endsWith('.schema.json')) continue;
    const document = readSourceDocument(file);
    if (document.syntaxIssues.length === 0 && isDatasetDocument(document)) {
      try {
        const loaded = await loadDatasetFile(file);
        datasets.set(loaded.declaration.id, loaded);
        tally.valid += 1;
        context.stdout(`ok    ${shown(file)}  dataset ${loaded.declaration.id}\n`);
      } catch (error) {
        if (!(error instanceof DatasetDeclarationError)) throw error;
        tally.invalid += 1;
        for (const problem of error.problems) fail(file, problem);
      }
      continue;
    }
    if (document.syntaxIssues.length === 0 && !isDefinitionDocument(document)) {
      tally.invalid += 1;
      fail(file, 'neither a KPI definition (it has no calculation) nor a dataset declaration (no fields and format)');
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
      ids.set(definition.id, shown(file));
      definitions.push({ file, document, definition });
    } catch (error) {
      if (!(error instanceof DefinitionError)) throw error;
      tally.invalid += 1;
      report(context, error, shown);
    }
  }
  return definitions;
}

/** Checks each definition's fields against the datasets it reads (when any dataset was declared). */
function checkFields(
  definitions: readonly ReadDefinition[],
  datasets: ReadonlyMap<string, LoadedDataset>,
  context: CliContext,
  tally: Tally,
): void {
  const fields = new Map<string, DatasetFields>([...datasets].map(([id, loaded]) => [id, datasetFieldsOf(loaded)]));
  for (const { file, document, definition } of definitions) {
    const issues = datasets.size === 0 ? [] : checkDefinitionFields(definition, fields);
    if (issues.length > 0) {
      tally.invalid += 1;
      report(
        context,
        new DefinitionError(
          file,
          issues.map((i) => ({ ...i, line: document.lineOf(i.path) })),
        ),
        tally.shown,
      );
      continue;
    }
    tally.valid += 1;
    context.stdout(`ok    ${tally.shown(file)}  kpi ${definition.id}\n`);
  }
}
