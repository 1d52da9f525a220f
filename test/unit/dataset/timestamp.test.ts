import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIso8601, timestampParser } from '../../../src/domain/dataset';

const at = (iso: string) => Date.parse(iso);

describe('timestamp parsing', () => {
  it('reads ISO-8601 with Z, offsets, fractions and a space separator', () => {
    const parse = timestampParser('iso8601');
    expect(parse('2024-03-05T10:20:30Z')).toBe(at('2024-03-05T10:20:30Z'));
    expect(parse('2024-03-05T10:20:30.123456+02:00')).toBe(at('2024-03-05T08:20:30.123Z'));
    expect(parse('2024-03-05 10:20:30-0530')).toBe(at('2024-03-05T15:50:30Z'));
    expect(parse('2024-03-05T10:20')).toBe(at('2024-03-05T10:20:00Z'));
    expect(parse('2024-03-05')).toBe(at('2024-03-05T00:00:00Z'));
  });

  it('applies the field time zone to values that carry none', () => {
    expect(timestampParser('iso8601', '+01:00')('2024-03-05T10:00:00')).toBe(at('2024-03-05T09:00:00Z'));
    expect(timestampParser('iso8601', '+01:00')('2024-03-05T10:00:00Z')).toBe(at('2024-03-05T10:00:00Z'));
  });

  it('rejects dates that do not exist instead of rolling them over', () => {
    expect(parseIso8601('2023-02-29')).toMatch(/day 29 does not exist in 2023-02/);
    expect(parseIso8601('2024-02-29')).toBe(at('2024-02-29T00:00:00Z'));
    expect(parseIso8601('2024-13-01')).toMatch(/month 13 does not exist/);
  });

  it('rejects text Date.parse would accept but ISO-8601 does not', () => {
    expect(timestampParser('iso8601')('March 7, 2024')).toMatch(/is not an ISO-8601/);
    expect(timestampParser('iso8601')('2024/03/07')).toMatch(/is not an ISO-8601/);
  });

  it('reads date-only values as midnight UTC and nothing longer', () => {
    expect(timestampParser('date')('2017-10-20')).toBe(at('2017-10-20T00:00:00Z'));
    expect(timestampParser('date')('2017-10-20T01:00:00Z')).toMatch(/is not a date/);
  });

  it('reads epoch seconds and milliseconds from numbers and numeric text', () => {
    expect(timestampParser('epoch_seconds')(1_700_000_000)).toBe(1_700_000_000_000);
    expect(timestampParser('epoch_seconds')('1700000000.5')).toBe(1_700_000_000_500);
    expect(timestampParser('epoch_millis')('1700000000123')).toBe(1_700_000_000_123);
    expect(timestampParser('epoch_millis')('soon')).toMatch(/is not a number of milliseconds/);
  });

  it('reads explicit patterns with one- or two-digit parts', () => {
    expect(timestampParser('M/D/YYYY')('3/7/2024')).toBe(at('2024-03-07T00:00:00Z'));
    expect(timestampParser('DD.MM.YYYY HH:mm')('07.03.2024 09:05')).toBe(at('2024-03-07T09:05:00Z'));
    expect(timestampParser('M/D/YYYY')('12/25/2024')).toBe(at('2024-12-25T00:00:00Z'));
    expect(timestampParser('YYYYMMDD')('20240307')).toBe(at('2024-03-07T00:00:00Z'));
    expect(timestampParser('DD/MM/YYYY')('2024-03-07')).toMatch(/does not match the pattern DD\/MM\/YYYY/);
  });

  it('agrees with Date for every instant it formats as ISO-8601', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (date) => {
          expect(parseIso8601(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });
});
