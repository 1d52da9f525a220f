// Port: where snapshots and their manifests are written.
import type { SnapshotManifest } from '../domain/snapshots/snapshot';

export interface SnapshotStore {
  /** The manifest written for the date, or null when none was. */
  readManifest(date: string): Promise<SnapshotManifest | null>;
  /** Writes the date's Parquet object, then its manifest (so a manifest always describes a file that exists). */
  write(date: string, parquet: Uint8Array, manifest: SnapshotManifest): Promise<void>;
}
