// Domain: warnings about the columns of a whole file. An optional column that disappears upstream
// does not fail any row (the field is simply null), so without a word the KPIs over it would go
// quietly empty; a column that no field reads, next to it, is most likely its new name.
import type { ReadWarning } from './sink';

/** A declared optional field and the column (or JSON key) it reads. */
export interface OptionalSource {
  readonly field: string;
  readonly source: string;
}

/** At most this many `unknown_column` warnings per file: a wide export has many columns no field reads. */
const MAX_UNKNOWN = 10;

/**
 * The warnings for a file whose header (or whose JSON objects) lack the columns of `missing`, and
 * have the columns of `unread` that no field reads.
 * @param file named in every message
 * @param kind `column` for CSV headers, `key` for JSON objects
 */
export function columnWarnings(
  file: string,
  kind: 'column' | 'key',
  missing: readonly OptionalSource[],
  unread: readonly string[],
): ReadWarning[] {
  if (missing.length === 0) return [];
  const where = kind === 'column' ? 'the header has no column' : 'no object has the key';
  const warnings: ReadWarning[] = missing.map(({ field, source }) => {
    const candidate = closest(source, unread);
    const others =
      unread.length > 0 ? ` ${kind === 'column' ? 'Columns' : 'Keys'} no field reads: ${quoteList(unread, 8)}.` : '';
    return {
      code: 'missing_optional_column',
      field,
      column: source,
      message: `${file}: ${where} "${source}", so optional field "${field}" is null in every record of this file.${others} If "${source}" was renamed upstream, map the new name in the declaration's renames (e.g. renames: { "${candidate ?? '<new name>'}": ${field} }); if the source no longer has it, drop the field from the declaration`,
    };
  });
  for (const column of unread.slice(0, MAX_UNKNOWN)) {
    const likely = likeliestField(column, missing);
    warnings.push({
      code: 'unknown_column',
      field: likely.field,
      column,
      message: `${file}: ${kind} "${column}" matches no declared field while optional field "${likely.field}" has no ${kind}; if it is "${likely.source}" renamed, add renames: { "${column}": ${likely.field} } to the declaration`,
    });
  }
  return warnings;
}

function quoteList(names: readonly string[], max: number): string {
  const shown = names.slice(0, max).map((name) => `"${name}"`);
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/** Lowercase letters and digits only: `Link Clicks`, `link_clicks` and `LinkClicks` compare equal. */
function normalized(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** How unlike two names are: 0 for the same normalized name, growing with the edit distance. */
function distance(a: string, b: string): number {
  const x = normalized(a);
  const y = normalized(b);
  if (x === y) return 0;
  if (x.length > 0 && y.length > 0 && (x.includes(y) || y.includes(x))) return 1;
  return 1 + editDistance(x, y);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The unread column most like `source`, if one is close enough to be worth naming. */
function closest(source: string, unread: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const column of unread) {
    const d = distance(source, column);
    if (d < bestDistance) {
      best = column;
      bestDistance = d;
    }
  }
  // Beyond a third of the name changed, a guess would mislead more than help.
  return bestDistance <= 1 + Math.floor(normalized(source).length / 3) ? best : undefined;
}

function likeliestField(column: string, missing: readonly OptionalSource[]): OptionalSource {
  let best = missing[0] as OptionalSource;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of missing) {
    const d = distance(candidate.source, column);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** The warning for a file whose rows end some with a lone CR, some with LF or CRLF. */
export function mixedLineEndingsWarning(file: string, lf: number, cr: number): ReadWarning {
  return {
    code: 'mixed_line_endings',
    field: null,
    column: null,
    message: `${file}: ${cr} row${cr === 1 ? '' : 's'} end with a lone carriage return (CR) and ${lf} with a line feed (LF or CRLF); each was read as the end of a row. If a CR belongs inside a value, quote the value`,
  };
}

/**
 * The keys of the JSON objects of a file, as far as warnings need them: which optional fields'
 * keys appear in some object, and which keys no field reads. Keys vary from object to object in
 * JSON (an event type without a lead has no `lead_id`), so a missing optional key is only worth a
 * warning next to a key no field reads: a likely rename.
 */
export class KeyTracker {
  /** Top-level key → the optional fields that read it (a dotted source also by its first segment). */
  private readonly optional = new Map<string, OptionalSource[]>();
  private readonly read: Set<string>;
  private readonly seen = new Set<string>();
  private readonly unread = new Set<string>();
  private remaining: number;

  constructor(
    sources: readonly string[],
    private readonly optionalSources: readonly OptionalSource[],
  ) {
    this.read = new Set(sources.flatMap((source) => [source, source.split('.')[0] as string]));
    for (const entry of optionalSources) {
      for (const key of new Set([entry.source, entry.source.split('.')[0] as string])) {
        this.optional.set(key, [...(this.optional.get(key) ?? []), entry]);
      }
    }
    this.remaining = optionalSources.length;
  }

  observe(object: Record<string, unknown>): void {
    if (this.remaining === 0) return;
    for (const key in object) {
      const fields = this.optional.get(key);
      if (fields) {
        for (const { field } of fields) {
          if (!this.seen.has(field)) {
            this.seen.add(field);
            this.remaining -= 1;
          }
        }
      } else if (!this.read.has(key) && this.unread.size < 50) this.unread.add(key);
    }
  }

  warnings(file: string): ReadWarning[] {
    if (this.remaining === 0 || this.unread.size === 0) return [];
    const missing = this.optionalSources.filter(({ field }) => !this.seen.has(field));
    return columnWarnings(file, 'key', missing, [...this.unread]);
  }
}
