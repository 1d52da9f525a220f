// Contract (the pack's files): KPI definition files, one KPI per YAML or JSON file, read the same
// way by the synth (schedules, dashboard), the CLI and the local runtime.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DefinitionError, type ValidationIssue } from '../domain/definition/errors';
import { issuesOf } from '../domain/definition/parse';
import { type KpiDefinition, kpiDefinitionSchema } from '../domain/definition/schema';
import { readSourceDocument, type SourceDocument } from './documents';

/** A definition and the file it came from. */
export interface DefinitionFile {
  readonly file: string;
  readonly definition: KpiDefinition;
}

const DOCUMENT_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Every `.yaml`, `.yml` and `.json` file under the given files and folders (recursively), sorted. */
export function documentFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (entry: string) => {
    if (statSync(entry).isDirectory()) {
      for (const name of readdirSync(entry).sort()) {
        const child = path.join(entry, name);
        if (statSync(child).isDirectory() || DOCUMENT_EXTENSIONS.has(path.extname(name))) visit(child);
      }
    } else {
      files.push(entry);
    }
  };
  for (const entry of paths) visit(entry);
  return [...new Set(files)].sort();
}

/**
 * Reads and validates one definition file.
 * @throws DefinitionError naming the file, and for each problem its line, its path and what is wrong.
 */
export function readDefinitionFile(file: string): DefinitionFile {
  return { file, definition: definitionFromDocument(readSourceDocument(file)) };
}

/** Validates a document already read. @throws DefinitionError */
export function definitionFromDocument(document: SourceDocument): KpiDefinition {
  if (document.syntaxIssues.length > 0) throw new DefinitionError(document.file, document.syntaxIssues);
  const result = kpiDefinitionSchema.safeParse(document.content);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = issuesOf(result.error, document.content).map((issue) => {
    const line = document.lineOf(issue.path);
    return line === undefined ? issue : { ...issue, line };
  });
  throw new DefinitionError(document.file, issues);
}

/** Whether a document looks like a KPI definition (rather than a dataset declaration). */
export function isDefinitionDocument(document: SourceDocument): boolean {
  const content = document.content;
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return false;
  const schema = (content as Record<string, unknown>).$schema;
  if (typeof schema === 'string') return schema.endsWith('kpi-definition.schema.json');
  return 'calculation' in content;
}

/** Definitions read from many files: the good ones, and every file's problems. */
export interface DefinitionSet {
  readonly definitions: DefinitionFile[];
  readonly errors: DefinitionError[];
}

/** Reads every definition file under `paths`; duplicate ids are errors of the later file. */
export function readDefinitionFiles(paths: readonly string[]): DefinitionSet {
  const definitions: DefinitionFile[] = [];
  const errors: DefinitionError[] = [];
  const seen = new Map<string, string>();
  for (const file of documentFiles(paths)) {
    try {
      const loaded = readDefinitionFile(file);
      const first = seen.get(loaded.definition.id);
      if (first !== undefined) {
        errors.push(
          new DefinitionError(file, [{ path: ['id'], message: `${loaded.definition.id} is also defined in ${first}` }]),
        );
        continue;
      }
      seen.set(loaded.definition.id, file);
      definitions.push(loaded);
    } catch (error) {
      if (error instanceof DefinitionError) errors.push(error);
      else throw error;
    }
  }
  return { definitions, errors };
}
