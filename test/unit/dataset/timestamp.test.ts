import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIso8601, timestampParser } from '../../../src/domain/dataset';
import { IsoTimeColumnParser, parseIso8601Span } from '../../../src/domain/dataset/timestamp';

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

  it('rejects a time cut off in its minutes or seconds instead of reading it as NaN', () => {
    expect(parseIso8601('2024-03-05T10:2')).toMatch(/is not an ISO-8601 time/);
    expect(parseIso8601('2024-03-05T10:20:3')).toMatch(/has invalid seconds/);
  });

  it('parses a timestamp inside a longer text exactly as the same text on its own', () => {
    const piece = fc.oneof(
      fc
        .date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.stringMatching(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,10})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(piece, fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), (text, before, after) => {
        const line = `${before}${text}${after}`;
        const span = parseIso8601Span(line, before.length, before.length + text.length, 60);
        expect(span).toEqual(parseIso8601(text, 60));
        // Cutting the text anywhere gives what the cut text gives alone (nothing is read past the end).
        const cut = Math.floor(text.length / 2);
        expect(parseIso8601Span(line, before.length, before.length + cut)).toEqual(parseIso8601(text.slice(0, cut)));
      }),
    );
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

describe('IsoTimeColumnParser', () => {
  const two = fc.constantFrom(
    '00',
    '01',
    '09',
    '12',
    '13',
    '23',
    '24',
    '25',
    '28',
    '29',
    '30',
    '31',
    '32',
    '59',
    '60',
    '7',
    'x1',
  );
  const date = fc
    .tuple(fc.constantFrom('2024', '2023', '2100', '2000', '0000', '20x4'), fc.constantFrom('-', '/'), two, two)
    .map(([year, dash, month, day]) => `${year}${dash}${month}-${day}`);
  const time = fc
    .tuple(
      fc.constantFrom('T', 't', ' ', 'X'),
      two,
      two,
      fc.constantFrom('', ':00', ':60', ':61', ':5', ':30.', ':30.5', ':30.123', ':30.1x3', ':30,25', ':30.1234567890'),
      fc.constantFrom('', 'Z', 'z', '+01:00', '-05:30', '+0100', '+01', '+24:00', '+01:6', 'Zx'),
    )
    .map((parts) => parts.join(''));
  // Texts that share their dates (the cache's hits) and ones that differ right after them.
  const texts = fc.array(
    fc.tuple(fc.constantFrom('', ' ', '"'), date, fc.option(time)).map(([pad, d, t]) => ({ pad, text: d + (t ?? '') })),
    { maxLength: 40 },
  );

  it('gives what parseIso8601Span gives, text after text, at any offset', () => {
    fc.assert(
      fc.property(texts, fc.constantFrom(0, 60, -330), (sequence, offset) => {
        const parser = new IsoTimeColumnParser(offset);
        for (const { pad, text } of sequence) {
          const line = `${pad}${text}${pad}`;
          const end = line.length - pad.length;
          expect(parser.parse(line, pad.length, end), text).toBe(parseIso8601Span(line, pad.length, end, offset));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same from the bytes of an ASCII text as from the text, text after text, mixed', () => {
    // Few dates, so that most texts find theirs remembered.
    const sameDates = fc.array(
      fc.tuple(
        fc.constantFrom('', ' ', '"'),
        fc.oneof({ weight: 6, arbitrary: fc.constantFrom('2024-02-29', '2024-03-01', '1970-01-01') }, date),
        fc.option(time, { freq: 8 }),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(sameDates, fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (entries, asBytes) => {
        const sequence = entries.map(([pad, d, t]) => ({ pad, text: d + (t ?? '') }));
        const parser = new IsoTimeColumnParser(0);
        sequence.forEach(({ pad, text }, i) => {
          const line = `${pad}${text}${pad}`;
          const end = line.length - pad.length;
          const bytes = new TextEncoder().encode(line);
          const got = asBytes[i] ? parser.parseBytes(bytes, pad.length, end) : parser.parse(line, pad.length, end);
          expect(got, text).toBe(parseIso8601Span(line, pad.length, end, 0));
        });
      }),
      { numRuns: 500 },
    );
  });

  it('reads the time of day of a date it has seen, and still reports a time that does not exist', () => {
    const parser = new IsoTimeColumnParser(0);
    expect(parser.parse('2024-02-29T10:00:00Z', 0, 20)).toBe(Date.UTC(2024, 1, 29, 10));
    expect(parser.parse('2024-02-29T11:30:00+01:00', 0, 25)).toBe(Date.UTC(2024, 1, 29, 10, 30));
    expect(parser.parse('2024-02-29T25:00:00Z', 0, 20)).toBe('"2024-02-29T25:00:00Z": hour 25 is out of range');
    expect(parser.parse('2024-02-30T10:00:00Z', 0, 20)).toBe(
      '"2024-02-30T10:00:00Z": day 30 does not exist in 2024-02',
    );
  });
});
