// Adapter (local files): KPI definitions checked against the dataset declarations they read (fields
// present, types that fit, filter values the fields can hold), each problem with its line in the file.

import { readSourceDocument } from '../../contracts/documents';
import { checkDefinitionFields, type DatasetFields } from '../../domain/definition/check-fields';
import { DefinitionError } from '../../domain/definition/errors';
import type { KpiDefinition } from '../../domain/definition/schema';
import type { LoadedDataset } from '../local/dataset-files';
import { datasetFieldsOf } from '../local/dataset-record-source';

/**
 * One error per definition file that does not fit the datasets of `catalog` (empty when all fit).
 * @example
 * const errors = definitionsNotFitting(definitions, await loadDatasetCatalog('kpis/datasets'));
 */
export function definitionsNotFitting(
  definitions: readonly { readonly file: string; readonly definition: KpiDefinition }[],
  catalog: ReadonlyMap<string, Pick<LoadedDataset, 'declaration'>>,
): DefinitionError[] {
  const fields = new Map<string, DatasetFields>([...catalog].map(([id, loaded]) => [id, datasetFieldsOf(loaded)]));
  return definitions.flatMap(({ file, definition }) => {
    const issues = checkDefinitionFields(definition, fields);
    if (issues.length === 0) return [];
    const document = readSourceDocument(file);
    return [
      new DefinitionError(
        file,
        issues.map((issue) => ({ ...issue, line: document.lineOf(issue.path) })),
      ),
    ];
  });
}
