import { describe, expect, it } from 'vitest';
import { minorUnitDecimals, roundForUnit } from '../../../src/domain/values/precision';

describe('roundForUnit', () => {
  it('states a money sum to the cent, without floating-point noise', () => {
    expect(roundForUnit(3360.7599999999998, { unit: 'currency', currency: 'USD' })).toBe(3360.76);
    expect(roundForUnit(12.345678, { unit: 'currency', currency: 'EUR' })).toBe(12.35);
  });

  it("states money in the currency's own minor unit", () => {
    expect(roundForUnit(1234.56, { unit: 'currency', currency: 'JPY' })).toBe(1235);
    expect(minorUnitDecimals('KWD')).toBe(3);
  });

  it('keeps whole counts whole and a mean of counts to two decimals', () => {
    expect(roundForUnit(2.0000000000000004, { unit: 'count', currency: undefined })).toBe(2);
    expect(roundForUnit(4 / 3, { unit: 'count', currency: undefined })).toBe(1.33);
  });

  it('removes only the floating-point noise of other units', () => {
    expect(roundForUnit(0.1 + 0.2, { unit: 'percent', currency: undefined })).toBe(0.3);
    expect(roundForUnit(0.012345678901234, { unit: 'percent', currency: undefined })).toBe(0.012345678901234);
    expect(roundForUnit(null, { unit: 'number', currency: undefined })).toBeNull();
  });
});
