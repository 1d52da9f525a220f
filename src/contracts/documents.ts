// Contract (the pack's files): reading YAML or JSON documents with the line of every node, so that
// errors can point at `file:line`.
import { readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { ValidationIssue } from '../domain/definition/errors';

/** A document read from a file, with a way to find the line of a path inside it. */
export interface SourceDocument {
  readonly file: string;
  /** The parsed content (null for an empty file). */
  readonly content: unknown;
  /** Problems that prevented parsing (YAML/JSON syntax), with their lines. */
  readonly syntaxIssues: readonly ValidationIssue[];
  /** 1-based line of the node at `path`, or of its nearest existing parent. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Reads a `.yaml`, `.yml` or `.json` file (JSON is read as YAML 1.2, of which it is a subset). */
export function readSourceDocument(file: string): SourceDocument {
  return parseSourceDocument(file, readFileSync(file, 'utf8'));
}

/** Parses a document's text; see {@link readSourceDocument}. */
export function parseSourceDocument(file: string, text: string): SourceDocument {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxIssues: ValidationIssue[] = document.errors.map((error) => ({
    path: [],
    message: error.message.split('\n')[0] ?? error.message,
    line: lineCounter.linePos(error.pos[0]).line,
  }));
  // The line of a path is the line of its key (`field: ...`), or of the item in a list; for a path
  // that does not exist, the line of its nearest existing parent.
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    for (let length = path.length; length > 0; length--) {
      const parent = length === 1 ? document.contents : document.getIn(path.slice(0, length - 1), true);
      const last = path[length - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
        if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
      } else if (isSeq(parent) && typeof last === 'number') {
        const item = parent.items[last];
        if (isNode(item) && item.range) return lineCounter.linePos(item.range[0]).line;
      }
    }
    const root = document.contents;
    return isNode(root) && root.range ? lineCounter.linePos(root.range[0]).line : undefined;
  };
  return {
    file,
    content: syntaxIssues.length > 0 ? undefined : document.toJS({ maxAliasCount: 100 }),
    syntaxIssues,
    lineOf,
  };
}
