// Domain: dataset declarations and the streaming reader, as one module for callers.
import { type DatasetDeclaration, datasetDeclarationSchema } from './declaration';
import { DatasetDeclarationError } from './errors';
import { type CompiledDataset, compileDataset } from './mapping';

export * from './declaration';
export * from './errors';
export * from './mapping';
export * from './reader';
export * from './reasons';
export { parseIso8601, TIMESTAMP_PRESETS, timestampParser } from './timestamp';

/**
 * Validates a parsed declaration (from YAML or JSON) and applies defaults.
 * @param location where it came from, e.g. a file path, named in every problem
 * @throws DatasetDeclarationError listing each problem with its path inside the file
 */
export function validateDatasetDeclaration(value: unknown, location: string): DatasetDeclaration {
  const result = datasetDeclarationSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new DatasetDeclarationError(location, problems);
}

/** Validates and compiles in one step. */
export function loadDataset(value: unknown, location: string): CompiledDataset {
  return compileDataset(validateDatasetDeclaration(value, location));
}
