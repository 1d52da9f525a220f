// Domain: the one unambiguous text form of dimension values, used in every storage and dedup key
// built from them (values table, snapshots, violations, approval concerns, owner notices).

/** A dimension value as records carry it. */
export type DimensionValue = string | number | boolean | null;

/**
 * A free-text part of a composite key: percent-encoded, so none of the separators keys use
 * (`|`, `#`, `&`, `=`, `:`, `,`) can appear in it raw, and a key split on its separator gives
 * back exactly the parts that built it.
 *
 * @example keyPart('a|b') // 'a%7Cb'
 */
export function keyPart(text: string): string {
  return encodeURIComponent(text);
}

function encodeValue(value: DimensionValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  // A string is written as it is encoded; a number or a boolean carries a type mark with a `:`,
  // which encoded text never holds raw, so `1` and `'1'` (or `true` and `'true'`) stay apart.
  if (typeof value === 'string') return keyPart(value);
  if (typeof value === 'number') return `n:${Object.is(value, -0) ? 0 : value}`;
  return `b:${value}`;
}

/**
 * `*` for the overall row; otherwise `key=value` pairs sorted by key and joined by `&`, keys and
 * string values percent-encoded so no separator can appear inside them, a number written `n:<n>`
 * and a boolean `b:<true|false>` (so they never meet a string), and a null value written as the
 * key alone (the group of records with no value), distinct from the empty string (`key=`).
 * Two dimension maps share a key only when they hold the same names with the same values.
 *
 * @example dimensionKey({ channel: 'email', campaign: 'spring sale' }) // 'campaign=spring%20sale&channel=email'
 * @example dimensionKey({ tier: 2, mobile: true }) // 'mobile=b:true&tier=n:2'
 */
export function dimensionKey(dimensions: Readonly<Record<string, DimensionValue>>): string {
  const keys = Object.keys(dimensions).sort();
  if (keys.length === 0) return '*';
  return keys
    .map((key) => {
      const value = encodeValue(dimensions[key]);
      // `*` alone is the overall row, so a name never writes it raw.
      const name = keyPart(key).replaceAll('*', '%2A');
      return value === null ? name : `${name}=${value}`;
    })
    .join('&');
}
