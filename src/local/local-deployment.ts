// Local runtime: the local deployment kept in a state folder (`.local/state`), as `npm start` and
// the `kpi` commands open it: one process at a time (state-lock.ts), optionally fresh, with what the
// run that created it recorded (the declarations its functions read), so a command run afterwards
// acts on what that run did.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { LocalCloud, type LocalCloudOptions } from './local-cloud';
import { type LocalStateLock, lockLocalState, type StateHolder } from './state-lock';
import { localTemplates } from './synth';

/** The local deployment's folder under a working folder. */
export const localStateDir = (cwd: string): string => path.join(cwd, '.local', 'state');

const RECORD_FILE = 'deployment.json';

/** What the process that created a local deployment recorded about it. */
const deploymentRecordSchema = z.object({
  /** Who created it (`npm start`), and when. */
  createdBy: z.string(),
  createdAt: z.string(),
  /** Variables its functions run with on top of their template environment (e.g. DATASETS_DIR). */
  functionEnvironment: z.record(z.string(), z.string()).default({}),
  /** The window of data it ran over, when it ran the pipeline. */
  window: z.object({ from: z.string(), to: z.string() }).optional(),
});
export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;

export interface OpenLocalDeploymentOptions extends Omit<LocalCloudOptions, 'stateDir' | 'functionEnvironment'> {
  readonly stateDir: string;
  /** What this process runs, shown to the processes that wait for it. */
  readonly command: string;
  /** Start from empty state (what `npm start` does unless told to keep it). */
  readonly fresh?: boolean;
  /** Recorded in the state for the later commands (what `npm start` ran with). */
  readonly record?: Omit<DeploymentRecord, 'createdAt'>;
  /** How long to wait for another process. @default 120_000 */
  readonly waitMs?: number;
  readonly onWaiting?: (holder: StateHolder | undefined) => void;
}

export interface LocalDeployment {
  readonly cloud: LocalCloud;
  readonly stateDir: string;
  /** What the process that created the state recorded; undefined for state made by `kpi` commands alone. */
  readonly record: DeploymentRecord | undefined;
  /** Records more about the deployment (the run's window, say). */
  updateRecord(change: Partial<Omit<DeploymentRecord, 'createdAt'>>): void;
  /** Stops the emulators and releases the lock. */
  close(): Promise<void>;
}

/**
 * Opens the local deployment in `stateDir`: takes its lock (waiting for another process if need
 * be), wipes it when `fresh`, and starts the emulators on it.
 */
export async function openLocalDeployment(options: OpenLocalDeploymentOptions): Promise<LocalDeployment> {
  const { stateDir, command, fresh, record: newRecord, waitMs, onWaiting, ...cloudOptions } = options;
  // The synthesis needs no state: done before taking the lock, while another process may hold it.
  const templates = cloudOptions.templates ?? (await localTemplates(cloudOptions.context));
  const lock: LocalStateLock = await lockLocalState(stateDir, {
    command,
    ...(waitMs !== undefined ? { waitMs } : {}),
    ...(onWaiting ? { onWaiting } : {}),
  });
  try {
    const recordFile = path.join(stateDir, RECORD_FILE);
    // A fresh start moves the old state aside at once and deletes it while the run goes on.
    const discarding = fresh ? discardState(stateDir) : Promise.resolve();
    mkdirSync(stateDir, { recursive: true });
    let record = readRecord(recordFile);
    if (newRecord) {
      record = deploymentRecordSchema.parse({ ...newRecord, createdAt: record?.createdAt ?? new Date().toISOString() });
      writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
    }
    const cloud = await LocalCloud.start({
      ...cloudOptions,
      templates,
      stateDir,
      ...(record ? { functionEnvironment: record.functionEnvironment } : {}),
    });
    return {
      cloud,
      stateDir,
      get record() {
        return record;
      },
      updateRecord: (change) => {
        record = deploymentRecordSchema.parse({
          createdBy: command,
          createdAt: new Date().toISOString(),
          ...record,
          ...change,
        });
        writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
      },
      close: async () => {
        try {
          await cloud.stop();
          await discarding;
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

const DISCARDED = '.discarded-';

/**
 * Renames `stateDir` aside (instant, the same file system) and deletes it and any state a stopped
 * run left aside before, in the background: tens of thousands of small files (the emulators' S3
 * objects and LevelDB tables) take seconds to delete, which a fresh run need not wait for.
 */
function discardState(stateDir: string): Promise<void> {
  const resolved = path.resolve(stateDir);
  const parent = path.dirname(resolved);
  const name = path.basename(resolved);
  if (existsSync(resolved)) renameSync(resolved, `${resolved}${DISCARDED}${process.pid}-${Date.now()}`);
  const aside = existsSync(parent)
    ? readdirSync(parent).filter((entry) => entry.startsWith(`${name}${DISCARDED}`))
    : [];
  // What cannot be deleted now (a file held open elsewhere) is tried again by the next fresh start.
  return Promise.all(aside.map((entry) => rm(path.join(parent, entry), { recursive: true, force: true }))).then(
    () => undefined,
    () => undefined,
  );
}

function readRecord(file: string): DeploymentRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: ReturnType<typeof deploymentRecordSchema.safeParse>;
  try {
    parsed = deploymentRecordSchema.safeParse(JSON.parse(text));
  } catch (error) {
    throw new Error(`${file} is not JSON (${(error as Error).message}): delete it, or start afresh with npm start`);
  }
  if (!parsed.success) throw new Error(`${file} is not a deployment record: ${parsed.error.message}`);
  return parsed.data;
}
