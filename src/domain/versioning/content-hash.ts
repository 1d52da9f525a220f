// Domain (define): the identity of a definition's content.
import { canonicalJson } from './canonical-json';
import { sha256Hex } from './sha256';

/**
 * `sha256:` and the SHA-256 of the canonical JSON of `value`: equal for equal content, whatever the
 * key order or formatting of the file it was read from.
 *
 * @example contentHash({ id: 'ctr', grain: 'day' }) === contentHash({ grain: 'day', id: 'ctr' }) // true
 */
export function contentHash(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
