// Domain: file patterns that capture values from a file's path into fields of its records. In a
// dataset's `files`, `{field}` matches one path segment (or part of one) and gives its text to the
// declared field `field`; a Hive-style folder is written `policy={policy}`. The folders before the
// first wildcard or capture are where the files are looked for; the rest of the pattern is what a
// file's path below them must match: locally, below that folder; in the drop zone, the key below
// `landing/<dataset>/`.

/** A parsed `files` pattern. */
export interface FilePattern {
  /** The pattern as written. */
  readonly text: string;
  /** The folders before the first segment with a wildcard or a capture (`''` when there are none). */
  readonly base: string;
  /** The rest: what a path below `base` must match, e.g. `{campaign}/{policy}/*.csv`. */
  readonly rest: string;
  /** Fields captured, in the order they appear. */
  readonly captures: readonly string[];
  /** The pattern for a file-system glob: each capture becomes `*`. */
  readonly glob: string;
  /** Matches a path below `base` (with `/` separators), a named group per capture. */
  readonly matcher: RegExp;
}

/** A `files` pattern that cannot be read: an unclosed brace, a field captured twice. */
export class FilePatternError extends Error {
  override readonly name = 'FilePatternError';
}

const CAPTURE = /^[a-z][a-z0-9_]*$/;
const WILDCARD = /[*?[{]/;

/**
 * Parses a `files` pattern.
 * @throws FilePatternError saying what is wrong
 * @example parseFilePattern('../data/policy={policy}/*.csv').captures // ['policy']
 */
export function parseFilePattern(text: string): FilePattern {
  const normalized = text.replace(/\\/g, '/');
  const segments = normalized.split('/');
  const first = segments.findIndex((segment) => WILDCARD.test(segment));
  const split = first < 0 ? segments.length - 1 : first;
  const base = segments.slice(0, split).join('/');
  const rest = segments.slice(split).join('/');
  const captures: string[] = [];
  let glob = '';
  let regex = '';
  for (let i = 0; i < rest.length; i++) {
    const char = rest[i] as string;
    if (char === '{') {
      const close = rest.indexOf('}', i);
      if (close < 0) throw new FilePatternError(`"${text}": the brace at "${rest.slice(i)}" is not closed`);
      const inner = rest.slice(i + 1, close);
      if (CAPTURE.test(inner)) {
        if (captures.includes(inner)) throw new FilePatternError(`"${text}" captures {${inner}} twice`);
        captures.push(inner);
        glob += '*';
        regex += `(?<${inner}>[^/]+)`;
      } else if (inner.includes(',') && !/[{}/]/.test(inner)) {
        glob += `{${inner}}`;
        regex += `(?:${inner.split(',').map(escapeRegExp).join('|')})`;
      } else {
        throw new FilePatternError(
          `"${text}": {${inner}} is neither a field to capture (lowercase letters, digits and underscores, e.g. {campaign}) nor alternatives ({a,b})`,
        );
      }
      i = close;
    } else if (char === '*') {
      if (rest[i + 1] === '*') {
        const slash = rest[i + 2] === '/';
        glob += slash ? '**/' : '**';
        regex += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        glob += '*';
        regex += '[^/]*';
      }
    } else if (char === '?') {
      glob += '?';
      regex += '[^/]';
    } else if (char === '[') {
      const close = rest.indexOf(']', i + 2);
      if (close < 0) throw new FilePatternError(`"${text}": the bracket at "${rest.slice(i)}" is not closed`);
      const set = rest.slice(i + 1, close);
      glob += `[${set}]`;
      regex += `[${set.startsWith('!') ? `^${set.slice(1)}` : set}]`;
      i = close;
    } else {
      glob += char;
      regex += escapeRegExp(char);
    }
  }
  return {
    text,
    base,
    rest,
    captures,
    glob: base === '' ? glob : `${base}/${glob}`,
    matcher: new RegExp(`^${regex}$`),
  };
}

/**
 * The values a path (below the pattern's `base`, `/` separators) gives the pattern's captures, or
 * null when it does not match.
 */
export function captureFromPath(pattern: FilePattern, relativePath: string): Record<string, string> | null {
  const match = pattern.matcher.exec(relativePath.replace(/\\/g, '/'));
  if (!match) return null;
  const values: Record<string, string> = {};
  for (const name of pattern.captures) values[name] = match.groups?.[name] as string;
  return values;
}

/** The patterns of a declaration's `files` (none when it has none). @throws FilePatternError */
export function filePatternsOf(files: string | readonly string[] | undefined): FilePattern[] {
  return ([] as string[]).concat(files ?? []).map(parseFilePattern);
}

/** Every field some pattern of `files` captures, in order of first appearance. */
export function capturedFieldsOf(files: string | readonly string[] | undefined): string[] {
  const fields: string[] = [];
  for (const pattern of filePatternsOf(files)) {
    for (const name of pattern.captures) if (!fields.includes(name)) fields.push(name);
  }
  return fields;
}

/**
 * What a file's path gives the captured fields: the values of the first pattern whose rest matches
 * it (each pattern's captures; a field the pattern does not capture gets none), or `matched: null`.
 * The drop zone passes the key below `landing/<dataset>/`.
 */
export function pathValuesOf(
  patterns: readonly FilePattern[],
  relativePath: string,
): { readonly values: Readonly<Record<string, string>>; readonly matched: FilePattern | null } {
  for (const pattern of patterns) {
    const values = captureFromPath(pattern, relativePath);
    if (values) return { values, matched: pattern };
  }
  return { values: {}, matched: null };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
