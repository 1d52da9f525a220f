// Domain: the precision a KPI value is stated in, by its unit. Values are computed and stored in
// full binary floating point; what people and tools read (JSON output) is rounded here, so a money
// sum prints as 3360.76, never 3360.7599999999998.
import type { KpiDefinition } from '../definition/schema';

/** Significant digits every value keeps: a double's decimal round trip without its binary noise. */
const SIGNIFICANT_DIGITS = 15;
/** Decimals of a count that is not whole (a mean of counts, say). */
const COUNT_DECIMALS = 2;

/** Decimals of a currency's minor unit (ISO 4217: 2 for USD and EUR, 0 for JPY, 3 for KWD). */
export function minorUnitDecimals(currency: string | undefined): number {
  if (!currency) return 2;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // Not a currency code Intl knows: cents.
    return 2;
  }
}

/**
 * `value` in the precision of the definition's unit: money to the currency's minor unit, counts to
 * at most two decimals (sums and counts are whole), every unit to 15 significant digits, which
 * removes floating-point noise (0.30000000000000004 → 0.3) and changes nothing else.
 *
 * @example roundForUnit(3360.7599999999998, { unit: 'currency', currency: 'USD' }) // 3360.76
 */
export function roundForUnit(value: number, definition: Pick<KpiDefinition, 'unit' | 'currency'>): number;
export function roundForUnit(value: null, definition: Pick<KpiDefinition, 'unit' | 'currency'>): null;
export function roundForUnit(value: number | null, definition: Pick<KpiDefinition, 'unit' | 'currency'>): number | null;
export function roundForUnit(
  value: number | null,
  definition: Pick<KpiDefinition, 'unit' | 'currency'>,
): number | null {
  if (value === null || !Number.isFinite(value)) return value;
  const decimals =
    definition.unit === 'currency'
      ? minorUnitDecimals(definition.currency)
      : definition.unit === 'count'
        ? COUNT_DECIMALS
        : undefined;
  const significant = Number(value.toPrecision(SIGNIFICANT_DIGITS));
  if (decimals === undefined) return significant;
  const rounded = Number(significant.toFixed(decimals));
  // -0 reads oddly in JSON.
  return rounded === 0 ? 0 : rounded;
}
