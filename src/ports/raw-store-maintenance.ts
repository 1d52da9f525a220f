// Port: what the raw store's sweeper needs of the buckets: list what is there (with its age) and
// delete what no commit names.
import type { StorageArea } from './object-store';

export interface StoredObject {
  readonly key: string;
  /** When it was written, epoch ms. */
  readonly lastModified: number;
  readonly size: number;
}

export interface RawStoreMaintenance {
  list(area: StorageArea, prefix: string): AsyncIterable<StoredObject>;
  /** Deletes the keys (absent keys are fine). */
  delete(area: StorageArea, keys: readonly string[]): Promise<void>;
  /** A small JSON object (a report, a manifest), or null when there is none. */
  readJson(area: StorageArea, key: string): Promise<unknown>;
  /** Writes a small JSON object. */
  writeJson(area: StorageArea, key: string, value: unknown): Promise<void>;
}
