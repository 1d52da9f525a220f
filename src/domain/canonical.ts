// Domain: canonical JSON and a content fingerprint, so equal content always gives equal bytes.

/** JSON with object keys sorted at every level (one implementation: versioning/canonical-json). */
export { canonicalJson } from './versioning/canonical-json';

/**
 * A 64-bit FNV-1a fingerprint of a text, as 16 hex digits. For telling content apart (change
 * detection, state compatibility), not for security.
 */
export function fingerprint(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * prime) & mask;
  }
  return hash.toString(16).padStart(16, '0');
}
