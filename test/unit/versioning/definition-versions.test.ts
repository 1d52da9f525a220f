import { describe, expect, it } from 'vitest';
import { contentHash } from '../../../src/domain/versioning/content-hash';
import {
  type DefinitionPointer,
  publishTransition,
  retireTransition,
  rollbackTransition,
  verifyVersion,
} from '../../../src/domain/versioning/definition-versions';
import { DefinitionStateError, DefinitionUnchangedError } from '../../../src/domain/versioning/errors';

const request = (at: number) => ({ author: 'maria@example.com', reason: 'tune thresholds', at });
const v1 = { id: 'ctr', grain: 'day', thresholds: { red: 0.01 } };
const v2 = { id: 'ctr', grain: 'day', thresholds: { red: 0.02 } };

function published(): DefinitionPointer<typeof v1> {
  const first = publishTransition(null, v1, request(1));
  return publishTransition(first.next, v2, request(2)).next;
}

describe('publishTransition', () => {
  it('makes the first publish version 1, in force, with no previous version', () => {
    const { next, change, newVersion } = publishTransition(null, v1, request(1));
    expect(newVersion?.version).toBe(1);
    expect(next).toMatchObject({ activeVersion: 1, latestVersion: 1, changeSeq: 1, status: 'active' });
    expect(change).toMatchObject({ action: 'publish', fromVersion: null, toVersion: 1, seq: 1 });
  });

  it('numbers a new version one above the latest, even after a rollback', () => {
    const pointer = published();
    const back = rollbackTransition(pointer, { ...pointerVersion(v1, 1) }, request(3)).next;
    const { newVersion, change } = publishTransition(back, { ...v1, grain: 'hour' }, request(4));
    expect(newVersion?.version).toBe(3);
    expect(change.fromVersion).toBe(1);
  });

  it('refuses content identical to the version in force', () => {
    expect(() => publishTransition(published(), { ...v2 }, request(3))).toThrow(DefinitionUnchangedError);
  });

  it('accepts content identical to an older version, as a new version', () => {
    const { newVersion } = publishTransition(published(), v1, request(3));
    expect(newVersion).toMatchObject({ version: 3, hash: contentHash(v1) });
  });

  it('brings a retired KPI back, even with the content it had when retired', () => {
    const retired = retireTransition(published(), request(3)).next;
    const { next } = publishTransition(retired, v2, request(4));
    expect(next).toMatchObject({ status: 'active', activeVersion: 3 });
  });

  it('records author, reason and time on the version and the change', () => {
    const { newVersion, change } = publishTransition(null, v1, request(42));
    expect(newVersion).toMatchObject({ author: 'maria@example.com', reason: 'tune thresholds', publishedAt: 42 });
    expect(change).toMatchObject({ author: 'maria@example.com', reason: 'tune thresholds', at: 42 });
  });
});

function pointerVersion(definition: typeof v1, version: number) {
  return {
    id: 'ctr',
    version,
    hash: contentHash(definition),
    definition,
    author: 'a',
    reason: 'r',
    publishedAt: version,
  };
}

describe('rollbackTransition', () => {
  it('moves the pointer to the earlier version and keeps the latest version number', () => {
    const { next, change } = rollbackTransition(published(), pointerVersion(v1, 1), request(3));
    expect(next).toMatchObject({ activeVersion: 1, activeHash: contentHash(v1), latestVersion: 2, changeSeq: 3 });
    expect(change).toMatchObject({ action: 'rollback', fromVersion: 2, toVersion: 1 });
  });

  it('refuses to roll back to the version already in force', () => {
    expect(() => rollbackTransition(published(), pointerVersion(v2, 2), request(3))).toThrow(DefinitionStateError);
  });

  it('refuses to roll back a retired KPI', () => {
    const retired = retireTransition(published(), request(3)).next;
    expect(() => rollbackTransition(retired, pointerVersion(v1, 1), request(4))).toThrow(/retired/);
  });
});

describe('retireTransition', () => {
  it('retires the KPI and keeps the version that was in force', () => {
    const { next, change } = retireTransition(published(), request(3));
    expect(next).toMatchObject({ status: 'retired', activeVersion: 2 });
    expect(change).toMatchObject({ action: 'retire', fromVersion: 2, toVersion: 2 });
  });

  it('refuses to retire twice', () => {
    const retired = retireTransition(published(), request(3)).next;
    expect(() => retireTransition(retired, request(4))).toThrow(DefinitionStateError);
  });
});

describe('verifyVersion', () => {
  it('detects content that no longer matches its hash', () => {
    expect(verifyVersion(pointerVersion(v1, 1))).toBe(true);
    expect(verifyVersion({ ...pointerVersion(v1, 1), definition: v2 })).toBe(false);
  });
});
