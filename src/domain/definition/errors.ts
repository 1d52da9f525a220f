// Domain: errors about definition files, naming the file, the path inside it and the problem.
import { PipelineError, ValidationError } from '../errors';

/** One problem found in a file: where (a path inside the document) and what. */
export interface ValidationIssue {
  /** Path inside the document, e.g. `['calculation', 'numerator', 'aggregate']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** 1-based line in the file, when the reader knows it. */
  readonly line?: number;
}

/** A definition file that does not validate: every problem, each with its path. */
export class DefinitionError extends ValidationError {
  override readonly name: string = 'DefinitionError';
  readonly file: string;
  readonly issues: readonly ValidationIssue[];
  constructor(file: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    super(issues.map((issue) => formatIssue(issue)).join('; '), { ...options, location: file });
    this.file = file;
    this.issues = issues;
  }
}

/** A partial state that cannot be merged or finalized with this definition (another KPI or calculation). */
export class IncompatibleStateError extends PipelineError {
  override readonly name: string = 'IncompatibleStateError';
}

/** `line N: path.to[0].field: message`; the line only when known. */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.line === undefined ? '' : `line ${issue.line}: `}${formatPath(issue.path)}: ${issue.message}`;
}

/** A document path as people write it: `calculation.measures.spend`, `datasets[0].id`; `(root)` when empty. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? part : `.${part}`;
  }
  return text;
}
