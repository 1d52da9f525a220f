// Local runtime: one process at a time on a local deployment's state folder. dynalite keeps its
// tables in LevelDB and fauxqs its objects and queues in files, and neither can be shared by two
// processes; so whoever opens the state (a `kpi` command, `npm start`) first takes this lock, and
// the others wait for it, saying for whom, and give up after a while with a clear message.
//
// The lock is LevelDB's own: an OS file lock (fcntl) on a tiny database beside the state folder,
// which the OS releases when its process ends however it ends, so a crashed command never leaves a
// stale lock behind. A small JSON file beside it says who holds it, for the waiting message.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { PipelineError } from '../domain/errors';

/** Who holds a local deployment. */
export interface StateHolder {
  readonly pid: number;
  /** What it runs, e.g. `kpi publish` or `npm start`. */
  readonly command: string;
  /** When it took the lock (ISO). */
  readonly since: string;
}

/** The local deployment stayed busy for longer than the caller would wait. */
export class LocalStateBusyError extends PipelineError {
  override readonly name: string = 'LocalStateBusyError';
}

export interface LocalStateLock {
  readonly stateDir: string;
  /** Releases the lock; safe to call twice. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** What this process runs, shown to the processes that wait for it. */
  readonly command: string;
  /** How long to wait for another process before giving up. @default 120_000 */
  readonly waitMs?: number;
  /** Called once, after `noticeAfterMs` of waiting, with the holder when known. */
  readonly onWaiting?: (holder: StateHolder | undefined) => void;
  /** @default 1000 */
  readonly noticeAfterMs?: number;
  /** @default 100 */
  readonly pollMs?: number;
}

/** The folder of the lock and the holder file, beside `stateDir` (wiping the state keeps them). */
export function lockPathsOf(stateDir: string): { readonly lockDir: string; readonly holderFile: string } {
  const resolved = path.resolve(stateDir);
  return { lockDir: `${resolved}.lock`, holderFile: `${resolved}.holder.json` };
}

/**
 * Takes the lock of the local deployment in `stateDir`, waiting while another process holds it.
 *
 * @throws LocalStateBusyError when it is still held after `waitMs`
 * @example
 * const lock = await lockLocalState('.local/state', { command: 'kpi history', onWaiting: (h) => … });
 * try { … } finally { await lock.release(); }
 */
export async function lockLocalState(stateDir: string, options: LockOptions): Promise<LocalStateLock> {
  const { lockDir, holderFile } = lockPathsOf(stateDir);
  mkdirSync(path.dirname(lockDir), { recursive: true });
  const waitMs = options.waitMs ?? 120_000;
  const noticeAfterMs = options.noticeAfterMs ?? 1000;
  const pollMs = options.pollMs ?? 100;
  const started = Date.now();
  let noticed = false;
  for (;;) {
    const db = new ClassicLevel(lockDir);
    try {
      await db.open();
    } catch (error) {
      await db.close().catch(() => undefined);
      if (!isLocked(error)) throw error;
      const waited = Date.now() - started;
      if (waited >= waitMs) {
        const holder = readHolder(holderFile);
        throw new LocalStateBusyError(
          `the local deployment in ${stateDir} is still in use by ${describeHolder(holder)} after ${Math.round(waited / 1000)} s; ` +
            'run the command again once it has finished (or wait longer with --wait SECONDS)',
        );
      }
      if (!noticed && waited >= noticeAfterMs) {
        noticed = true;
        options.onWaiting?.(readHolder(holderFile));
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      continue;
    }
    const holder: StateHolder = { pid: process.pid, command: options.command, since: new Date().toISOString() };
    writeFileSync(holderFile, `${JSON.stringify(holder)}\n`);
    let released = false;
    return {
      stateDir,
      release: async () => {
        if (released) return;
        released = true;
        if (readHolder(holderFile)?.pid === process.pid) rmSync(holderFile, { force: true });
        await db.close();
      },
    };
  }
}

function isLocked(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'LEVEL_LOCKED';
}

/** The holder file, when it names a process that is still alive. */
function readHolder(file: string): StateHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as StateHolder;
    if (!Number.isInteger(holder.pid)) return undefined;
    return isAlive(holder.pid) ? holder : undefined;
  } catch {
    // Missing or being written.
    return undefined;
  }
}

/** A holder file left by a process that has ended says nothing (the lock itself is never stale). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** `process 4242 (kpi publish, since 14:03:07 UTC)`. */
export function describeHolder(holder: StateHolder | undefined): string {
  if (!holder) return 'another process';
  return `process ${holder.pid} (${holder.command}, since ${holder.since.slice(11, 19)} UTC)`;
}
