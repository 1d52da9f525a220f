// The commit of a batch's days: a few days at once, each its own put-if-absent; the result in the
// order of the dates whatever order the puts come back in; a put that fails leaves the other days
// whole, and the rerun commits the rest.
import { describe, expect, it } from 'vitest';
import type { CommitEntry } from '../../../src/domain/ingest/commit-log';
import { commitDays, DAY_COMMITS_IN_FLIGHT, type DayCommit } from '../../../src/usecases/ingest/commit-days';
import { InMemoryIngestStore, InMemoryRawCommitLog } from '../../support/ingest-fakes';

const dates = Array.from({ length: 10 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`);

function day(date: string): DayCommit {
  return {
    date,
    objects: [
      {
        key: `raw/${date}`,
        hour: Date.parse(`${date}T00:00:00Z`),
        records: 1,
        bytes: 1,
        sha256: '0'.repeat(64),
        minEventTime: 0,
        maxEventTime: 0,
      },
    ],
    keysKey: null,
    keys: 0,
    snapshotVersion: 0,
  };
}

function request(log: InMemoryRawCommitLog) {
  return {
    log,
    store: new InMemoryIngestStore(),
    dataset: 'd',
    batchId: 'b',
    source: 'b',
    supersedes: [],
    // Out of order on purpose: the commit sorts them.
    days: [...dates].reverse().map(day),
    manifestKey: 'raw/_manifests/b.json',
    committedAt: 0,
  };
}

describe('commitDays', () => {
  it('commits a few days at once and reports them in date order, whichever put returns first', async () => {
    const log = new InMemoryRawCommitLog();
    let inFlight = 0;
    let most = 0;
    log.beforeAppend = async (entry: CommitEntry) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Later dates come back first.
      await new Promise((resolve) => setTimeout(resolve, 40 - dates.indexOf(entry.date) * 3));
      inFlight -= 1;
    };
    const result = await commitDays(request(log));
    expect(most).toBe(DAY_COMMITS_IN_FLIGHT);
    expect(result.committed).toEqual(dates);
    expect(result.days.map((d) => d.date)).toEqual(dates);
    expect((await log.entries('d', null, '9999')).map((e) => [e.date, e.version])).toEqual(
      dates.map((date) => [date, 1]),
    );
  });

  it('leaves whole days after a failed put; the rerun commits the rest, each day once', async () => {
    const log = new InMemoryRawCommitLog();
    log.beforeAppend = async (entry: CommitEntry) => {
      if (entry.date === dates[2]) throw new Error('Task timed out');
    };
    await expect(commitDays(request(log))).rejects.toThrow('Task timed out');
    const partial = (await log.entries('d', null, '9999')).map((e) => e.date);
    expect(partial).not.toContain(dates[2]);
    expect(new Set(partial).size).toBe(partial.length);
    log.beforeAppend = undefined;
    const rerun = await commitDays(request(log));
    expect([...rerun.committed, ...rerun.alreadyCommitted].sort()).toEqual(dates);
    expect(rerun.alreadyCommitted).toEqual(partial);
    expect((await log.entries('d', null, '9999')).map((e) => e.date)).toEqual(dates);
  });
});
