// Domain: a canonical, unambiguous text form of a value's dimensions, used in storage keys.

/**
 * `*` for the overall row; otherwise `key=value` pairs sorted by key and joined by `&`, keys and
 * values percent-encoded so no separator can appear inside them, a null value written as `key`
 * alone (the group of records with no value) and distinct from the empty string (`key=`).
 *
 * @example dimensionKey({ channel: 'email', campaign: 'spring sale' }) // 'campaign=spring%20sale&channel=email'
 */
export function dimensionKey(dimensions: Readonly<Record<string, string | number | boolean | null>>): string {
  const keys = Object.keys(dimensions).sort();
  if (keys.length === 0) return '*';
  return keys
    .map((key) => {
      const value = dimensions[key];
      const name = encodeURIComponent(key);
      return value === null || value === undefined ? name : `${name}=${encodeURIComponent(String(value))}`;
    })
    .join('&');
}
