// Domain (define): one JSON text per value, whatever the key order or formatting of the file it
// came from, so that equal definitions hash equal.
import { ValidationError } from '../errors';

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Serializes `value` as canonical JSON: object keys sorted by code unit, no whitespace, numbers in
 * ECMAScript's shortest round-trip form (`-0` as `0`), `undefined` object members left out.
 *
 * @throws ValidationError on a value JSON cannot hold (NaN, Infinity, a function, a bigint, a cycle)
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(`${value} has no JSON form`, { location: path });
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      // A value that says how it is written in JSON (a Date, say) is written that way.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return write((value as { toJSON: () => unknown }).toJSON(), path, seen);
      }
      if (seen.has(value)) throw new ValidationError('the value refers to itself', { location: path });
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          return `[${value.map((item, i) => (item === undefined ? 'null' : write(item, `${path}[${i}]`, seen))).join(',')}]`;
        }
        const entries = Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${path}.${k}`, seen)}`).join(',')}}`;
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw new ValidationError(`a ${typeof value} has no JSON form`, { location: path });
  }
}
