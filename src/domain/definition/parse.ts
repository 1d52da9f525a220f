// Domain: turning a parsed definition document into a validated KpiDefinition, or every problem in it.
import type * as z from 'zod';
import { DefinitionError, type ValidationIssue } from './errors';
import { CALCULATION_TYPES, type KpiDefinition, kpiDefinitionSchema } from './schema';

/**
 * Validates a definition document (already parsed from YAML or JSON).
 * @param source names the file in errors.
 * @throws DefinitionError listing every problem with its path inside the document.
 */
export function parseDefinition(document: unknown, source: string): KpiDefinition {
  const result = kpiDefinitionSchema.safeParse(document);
  if (result.success) return result.data;
  throw new DefinitionError(source, issuesOf(result.error, document));
}

/**
 * Flattens zod issues into path + message pairs; a failed union reports its closest branch.
 * @param document the document validated: a key it lacks is reported as required, not as a wrong value
 */
export function issuesOf(error: z.ZodError, document?: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): void => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === 'Invalid input') {
      // Report the branch that got furthest (deepest first issue): it is the one the author meant.
      const branches = issue.errors.filter((branch) => branch.length > 0);
      const best = branches.sort((a, b) => depth(b) - depth(a))[0];
      if (best && depth(best) > 0) {
        for (const inner of best) visit(inner, path);
        return;
      }
    }
    const at = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const message = messageOf(issue);
    const missing = REQUIRED_CODES.has(issue.code) && document !== undefined && isAbsent(document, at);
    issues.push({ path: at, message: missing ? required(message) : message });
  };
  for (const issue of error.issues) visit(issue, []);
  return issues;
}

const DISCRIMINATOR_OPTIONS: Record<string, readonly string[]> = {
  type: CALCULATION_TYPES,
  direction: ['higher_is_better', 'lower_is_better', 'within_band'],
};

/** Issue codes that, for a key not there at all, mean it is required (not that its value is wrong). */
const REQUIRED_CODES = new Set<string>(['invalid_type', 'invalid_value', 'invalid_union']);

/** Whether the last key of `path` is missing from an object that is there (the parent exists). */
export function isAbsent(document: unknown, path: readonly (string | number)[]): boolean {
  if (path.length === 0) return false;
  let value: unknown = document;
  for (const key of path.slice(0, -1)) {
    if (value === null || typeof value !== 'object') return false;
    value = (value as Record<string | number, unknown>)[key];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return (value as Record<string | number, unknown>)[path[path.length - 1] as string | number] === undefined;
}

/** `is required: one of a, b` for a missing key whose type has a list of values. */
function required(message: string): string {
  if (message === 'is required') return message;
  const options = /^must be one of (.+)$/.exec(message);
  return options ? `is required: one of ${options[1]}` : 'is required';
}

function depth(branch: readonly z.core.$ZodIssue[]): number {
  return Math.max(...branch.map((issue) => issue.path.length));
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      if (issue.message.endsWith('received undefined')) return 'is required';
      return issue.message.replace(/^Invalid input: /, '');
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const options = DISCRIMINATOR_OPTIONS[issue.discriminator];
        return options ? `must be one of ${options.join(', ')}` : `unknown ${issue.discriminator}`;
      }
      return issue.message;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}
