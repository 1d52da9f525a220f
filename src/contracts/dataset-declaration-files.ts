// Contract (the pack's files): a dataset declaration file's text, parsed and validated the same way
// by the synth (lib/constructs/ingestion/catalog.ts: grants, schedules, the JSON the functions carry)
// and at run time.
import { createRequire } from 'node:module';
import { type DatasetDeclaration, DatasetDeclarationError, validateDatasetDeclaration } from '../domain/dataset';

export { type DatasetDeclaration, ingestionOf } from '../domain/dataset';

let yamlModule: typeof import('yaml') | undefined;

/**
 * The YAML parser, loaded the first time a YAML declaration is read. Lambda functions carry their
 * declarations as JSON (lib/constructs/ingestion/catalog.ts), so their bundles leave it out (a
 * `require` made by createRequire is not followed by the bundler) and never load it.
 */
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

/**
 * Parses a declaration's text: YAML (which includes JSON) or JSON by extension.
 * @throws DatasetDeclarationError naming the file, and the line for syntax errors
 */
export function parseDatasetDeclarationText(text: string, location: string): DatasetDeclaration {
  let value: unknown;
  try {
    value = location.endsWith('.json') ? JSON.parse(text) : yaml().parse(text, { prettyErrors: true });
  } catch (error) {
    const message = error instanceof yaml().YAMLParseError ? error.message.split('\n')[0] : (error as Error).message;
    throw new DatasetDeclarationError(
      location,
      [`not valid ${location.endsWith('.json') ? 'JSON' : 'YAML'}: ${message}`],
      {
        cause: error,
      },
    );
  }
  return validateDatasetDeclaration(value, location);
}
