// Domain: dataset declarations and the streaming reader, as one module for callers.
import type * as z from 'zod';
import { type DatasetDeclaration, datasetDeclarationSchema } from './declaration';
import { DatasetDeclarationError } from './errors';
import { type CompiledDataset, compileDataset } from './mapping';

export * from './declaration';
export * from './errors';
export * from './freshness';
export * from './freshness-state';
export * from './mapping';
export * from './path-captures';
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
    const message = problemOf(issue, value);
    return path ? `${path}: ${message}` : message;
  });
  throw new DatasetDeclarationError(location, problems);
}

/** A sentence for a zod issue: what the rule is and how to follow it, rather than zod's own words. */
function problemOf(issue: z.core.$ZodIssue, declaration: unknown): string {
  if (issue.code === 'invalid_key' && issue.path.length === 2) {
    const [section, key] = issue.path.map(String) as [string, string];
    const rule = 'names are lowercase letters, digits and underscores, starting with a letter';
    const name = fieldNameFor(key);
    if (section === 'fields') {
      return `"${key}" is not a valid field name: ${rule}. To read the column "${key}", declare the field ${name} and add \`renames: { ${yamlKey(key)}: ${name} }\``;
    }
    return `"${key}" is not a valid name: ${rule}; e.g. ${name}`;
  }
  if (['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code) && isMissing(declaration, issue.path)) {
    if (issue.code === 'invalid_value') return `is required: one of ${issue.values.map((v) => String(v)).join(', ')}`;
    const expected = /Expected (.+)$/.exec(issue.message)?.[1];
    return expected ? `is required: one of ${expected.replace(/'/g, '').split(' | ').join(', ')}` : 'is required';
  }
  if (issue.code === 'invalid_type') return issue.message.replace(/^Invalid input: /, '');
  return issue.message;
}

/** Whether the last key of `path` is missing from an object that is there. */
function isMissing(document: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let value: unknown = document;
  for (const key of path.slice(0, -1)) {
    if (value === null || typeof value !== 'object') return false;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return (value as Record<PropertyKey, unknown>)[path[path.length - 1] as PropertyKey] === undefined;
}

/**
 * The field name a column would be declared as: snake case, e.g. `VisitorType` → `visitor_type`,
 * `Opportunity ID` → `opportunity_id`, `2nd Touch` → `f_2nd_touch`.
 */
export function fieldNameFor(column: string): string {
  const words = column
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (words === '') return 'field';
  return /^[a-z]/.test(words) ? words : `f_${words}`;
}

/** A YAML key as written in a flow mapping: quoted when it holds anything but letters, digits, `_` and `-`. */
function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
}

/** Validates and compiles in one step. */
export function loadDataset(value: unknown, location: string): CompiledDataset {
  return compileDataset(validateDatasetDeclaration(value, location));
}
