// Domain (define): one JSON text per value, whatever the key order or formatting of the file it
// came from, so that equal definitions hash equal.
import { ValidationError } from '../errors';

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where a member sits, from the root down; written out (`$.a[1].b`) only for an error. */
interface PathStep {
  readonly parent: PathStep | null;
  readonly key: string | number;
}

function pathText(step: PathStep | null): string {
  let text = '';
  for (let s = step; s; s = s.parent) text = (typeof s.key === 'number' ? `[${s.key}]` : `.${s.key}`) + text;
  return `$${text}`;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Serializes `value` as canonical JSON: object keys sorted by code unit, no whitespace, numbers in
 * ECMAScript's shortest round-trip form (`-0` as `0`), `undefined` object members left out.
 *
 * @throws ValidationError on a value JSON cannot hold (NaN, Infinity, a function, a bigint, a cycle)
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, null, new Set());
}

function write(value: unknown, path: PathStep | null, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(`${value} has no JSON form`, { location: pathText(path) });
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return write((value as { toJSON: () => unknown }).toJSON(), path, seen);
      }
      if (seen.has(value)) throw new ValidationError('the value refers to itself', { location: pathText(path) });
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          let text = '[';
          for (let i = 0; i < value.length; i += 1) {
            const item = value[i];
            if (i > 0) text += ',';
            text += item === undefined ? 'null' : write(item, { parent: path, key: i }, seen);
          }
          return `${text}]`;
        }
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record).sort(byCodeUnit);
        let text = '{';
        let first = true;
        for (const key of keys) {
          const member = record[key];
          if (member === undefined) continue;
          if (!first) text += ',';
          first = false;
          text += `${JSON.stringify(key)}:${write(member, { parent: path, key }, seen)}`;
        }
        return `${text}}`;
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw new ValidationError(`a ${typeof value} has no JSON form`, { location: pathText(path) });
  }
}
