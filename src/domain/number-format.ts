// Domain: numbers as people read them, `1,234.57`: what `new Intl.NumberFormat('en-US',
// { maximumFractionDigits })` writes, without Intl. Creating the first Intl formatter of a process
// loads ICU's locale data (~14 ms of CPU), which every function that formats a value paid at cold
// start; this is string arithmetic on the number's shortest decimal form, rounded half away from
// zero as ICU rounds it (1.005 → 1.01).

/**
 * `value` in en-US with at most `maxFractionDigits` decimals, grouped by thousands, trailing zeros
 * dropped; `-0` keeps its sign as Intl does, and non-finite values are `NaN`, `∞`, `-∞`.
 *
 * @example
 * formatDecimal(1234.5678, 2); // '1,234.57'
 */
export function formatDecimal(value: number, maxFractionDigits: number): string {
  if (Number.isNaN(value)) return 'NaN';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (!Number.isFinite(value)) return `${sign}∞`;
  // The shortest digits that read back as the value, and where the decimal point goes.
  const [mantissa = '0', exponent = '0'] = Math.abs(value).toExponential().split('e');
  let digits = mantissa.replace('.', '');
  let point = Number(exponent) + 1;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits += '0'.repeat(point - digits.length);
  }
  let kept = digits.slice(0, point + maxFractionDigits);
  const next = digits.charAt(point + maxFractionDigits);
  if (next !== '' && next >= '5') {
    kept = increment(kept);
    if (kept.length > point + maxFractionDigits) point += 1;
  }
  const integer = kept.slice(0, point).replace(/^0+(?=\d)/, '');
  const fraction = kept.slice(point).replace(/0+$/, '');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** A string of decimal digits plus one in its last place (`'199'` → `'200'`, `'99'` → `'100'`). */
function increment(digits: string): string {
  const out = digits.split('');
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== '9') {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
    out[i] = '0';
  }
  return `1${out.join('')}`;
}
