import { describe, expect, it } from 'vitest';
import { inputConfidence } from '../../../src/domain/values/confidence';
import { MAX_LINEAGE_MANIFESTS, summarizeInputs } from '../../../src/domain/values/kpi-value';
import { restatementOf, type StoredKpiValue } from '../../../src/domain/values/restatement';
import { inputListIdentity, valueFingerprint } from '../../../src/domain/values/value-fingerprint';
import { sha256Hex } from '../../../src/domain/versioning/sha256';
import { computedAt, sampleValue, withLateBatch } from '../../support/kpi-values';

const stored = (overrides = {}): StoredKpiValue => ({
  ...sampleValue(overrides),
  revision: 1,
  fingerprint: 'x',
  restatements: [],
});

describe('valueFingerprint', () => {
  it('ignores when the value was computed', () => {
    const value = sampleValue();
    expect(valueFingerprint(computedAt(value, '2030-01-01T00:00:00.000Z'))).toBe(valueFingerprint(value));
  });

  it('changes when an input partition changes, even if the value does not', () => {
    const value = sampleValue();
    expect(valueFingerprint(withLateBatch(value))).not.toBe(valueFingerprint(value));
  });

  it('counts an input list kept in a pack as the object the list would have on its own', () => {
    const list = 'a'.repeat(64);
    const alone = `s3://work/lineage/kpi=ctr/${list}.json.gz`;
    const inPack = (pack: string) => `s3://work/lineage/kpi=ctr/pack-${pack.repeat(64)}.json.gz#${list}`;
    const value = sampleValue();
    const withRef = (inputsRef: string) => ({ ...value, lineage: { ...value.lineage, inputsRef } });
    expect(inputListIdentity(inPack('b'))).toBe(alone);
    expect(valueFingerprint(withRef(inPack('b')))).toBe(valueFingerprint(withRef(alone)));
    expect(valueFingerprint(withRef(inPack('c')))).toBe(valueFingerprint(withRef(inPack('b'))));
  });

  it('changes when the input list a reference names changes', () => {
    const value = sampleValue();
    const withRef = (inputsRef: string) => ({ ...value, lineage: { ...value.lineage, inputsRef } });
    const pack = `s3://work/lineage/kpi=ctr/pack-${'b'.repeat(64)}.json.gz`;
    expect(valueFingerprint(withRef(`${pack}#${'a'.repeat(64)}`))).not.toBe(
      valueFingerprint(withRef(`${pack}#${'d'.repeat(64)}`)),
    );
    expect(inputListIdentity(`s3://work/lineage/kpi=ctr/${'a'.repeat(64)}.json.gz`)).toBe(
      `s3://work/lineage/kpi=ctr/${'a'.repeat(64)}.json.gz`,
    );
  });
});

describe('restatementOf', () => {
  it('records a final value that changed, with both sides and the cause', () => {
    const next = { ...withLateBatch(sampleValue()), value: 0.029 };
    expect(restatementOf(stored(), next, 2)).toMatchObject({
      revision: 2,
      cause: 'input_change',
      previous: { value: 0.031, definitionVersion: 3 },
      current: { value: 0.029 },
    });
  });

  it('names the batches a correction brought in and those it superseded', () => {
    const base = sampleValue();
    const input = base.lineage.inputs[0] as (typeof base.lineage.inputs)[number];
    const before = {
      ...base,
      lineage: { ...base.lineage, inputs: [{ ...input, manifests: ['m/a.json', 'm/b.json'] }] },
    };
    const after = {
      ...base,
      value: 0.02,
      lineage: { ...base.lineage, inputs: [{ ...input, digest: 'd2', manifests: ['m/a.json', 'm/c.json'] }] },
    };
    expect(restatementOf({ ...stored(), ...before }, after, 2)).toMatchObject({
      cause: 'input_change',
      batches: { added: ['m/c.json'], removed: ['m/b.json'] },
    });
  });

  it('names a new definition version as the cause when the definition changed', () => {
    const base = sampleValue();
    const next = {
      ...base,
      value: 0.05,
      lineage: { ...base.lineage, definition: { id: 'ctr', version: 4, hash: 'sha256:def' } },
    };
    expect(restatementOf(stored(), next, 2)?.cause).toBe('definition_change');
  });

  it('does not treat a provisional value that moved as a restatement', () => {
    expect(restatementOf(stored({ provisional: true }), { ...sampleValue(), value: 0.5 }, 2)).toBeNull();
  });

  it('does not treat new lineage with the same value and status as a restatement', () => {
    expect(restatementOf(stored(), withLateBatch(sampleValue()), 2)).toBeNull();
  });

  it('records a status change even when the value is the same', () => {
    expect(restatementOf(stored(), { ...sampleValue(), status: 'yellow' }, 2)).not.toBeNull();
  });
});

describe('inputConfidence', () => {
  const day = { periodStart: Date.UTC(2024, 2, 4), periodEnd: Date.UTC(2024, 2, 5) };

  it('is the share of rows that were not quarantined when the inputs are fresh', () => {
    const inputs = [{ rows: 950, quarantined: 50, newestEventAt: '2024-03-04T23:50:00.000Z' }];
    expect(inputConfidence({ ...day, inputs, computedAt: Date.UTC(2024, 2, 5, 0, 20) })).toBe(0.95);
  });

  it('falls when the newest input lags the end of the period beyond the allowance', () => {
    const inputs = [{ rows: 100, quarantined: 0, newestEventAt: '2024-03-04T11:00:00.000Z' }];
    // 13 h lag, 1 h allowed: 12 h over a 24 h period → 0.5.
    expect(inputConfidence({ ...day, inputs, computedAt: Date.UTC(2024, 2, 5, 1) })).toBe(0.5);
  });

  it('judges an open period against the time of computation, not its end', () => {
    const inputs = [{ rows: 100, quarantined: 0, newestEventAt: '2024-03-04T09:30:00.000Z' }];
    expect(inputConfidence({ ...day, inputs, computedAt: Date.UTC(2024, 2, 4, 10) })).toBe(1);
  });

  it('is unknown when no input reports counts or event times', () => {
    const inputs = [{ rows: null, quarantined: null, newestEventAt: null }];
    expect(inputConfidence({ ...day, inputs, computedAt: Date.UTC(2024, 2, 5) })).toBeNull();
  });
});

describe('summarizeInputs', () => {
  const partition = (hour: number, manifests: string[] = [`m-${hour}`]) => ({
    dataset: 'ad_events',
    partition: `date=2026-06-03/hour=${String(hour).padStart(2, '0')}`,
    objects: 1,
    etag: `e${hour}`,
    manifests,
    rows: 100,
    quarantined: 1,
    newestEventAt: `2026-06-03T${String(hour).padStart(2, '0')}:59:00.000Z`,
  });

  it('gives the same summary whatever the order of the partitions', () => {
    const list = Array.from({ length: 24 }, (_, h) => partition(h));
    expect(summarizeInputs([...list].reverse(), sha256Hex)).toEqual(summarizeInputs(list, sha256Hex));
  });

  it('keeps a value item small however many partitions and manifests it read', () => {
    const year = Array.from({ length: 24 * 365 }, (_, h) => ({
      ...partition(h % 24),
      partition: `p-${h}`,
      manifests: [`m-${h}`],
    }));
    const [summary] = summarizeInputs(year, sha256Hex);
    expect(summary).toMatchObject({ partitions: 8760, manifestCount: 8760, rows: 876_000, quarantined: 8760 });
    expect(summary?.manifests).toHaveLength(MAX_LINEAGE_MANIFESTS);
    expect(JSON.stringify(summary).length).toBeLessThan(4_000);
  });

  it('changes the digest when one partition gets another batch', () => {
    const list = [partition(0), partition(1)];
    const late = [partition(0), { ...partition(1), etag: 'e1-late' }];
    expect(summarizeInputs(late, sha256Hex)[0]?.digest).not.toBe(summarizeInputs(list, sha256Hex)[0]?.digest);
  });

  it('leaves rows unknown when one partition does not know them', () => {
    const [summary] = summarizeInputs([partition(0), { ...partition(1), rows: null }], sha256Hex);
    expect(summary?.rows).toBeNull();
  });
});
