// Port: the buckets ingestion writes to. A large object is staged (uploaded in parts, not yet under
// its key) and committed once whole. What readers see is decided by the commit log, not by the
// objects: an object no commit names is never read (see src/domain/ingest/commit-log.ts).

/** Which bucket: raw records and manifests, or the quarantine. */
export type StorageArea = 'raw' | 'quarantine';

export interface ObjectRef {
  readonly area: StorageArea;
  readonly key: string;
}

/** An object being written: bytes go out as they come, it appears under its key on `commit`. */
export interface StagedObject {
  /** Appends bytes; resolves when the store has taken them (back-pressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** No more bytes: everything is uploaded, nothing is held in memory, the object is not visible yet. */
  end(): Promise<void>;
  /** Makes the object visible under its key. Call after `end`. */
  commit(): Promise<void>;
  /** Discards what was uploaded. Safe to call at any point, and twice. */
  abort(): Promise<void>;
}

export interface IngestObjectStore {
  /** The bucket name of an area, recorded in manifests. */
  bucket(area: StorageArea): string;
  /** Starts a staged object. */
  stage(ref: ObjectRef, contentType: string): StagedObject;
  /** Writes a small object at once (manifests, reasons). */
  put(ref: ObjectRef, body: string | Uint8Array, contentType: string): Promise<void>;
  /** An object's bytes, or null when there is none under the key. */
  get(ref: ObjectRef): Promise<Uint8Array | null>;
}
