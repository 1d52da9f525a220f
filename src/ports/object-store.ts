// Port: the buckets ingestion writes to. Objects of a batch are staged (uploaded but invisible)
// and committed together at the end, so a batch that fails half-way leaves nothing readable.

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
  put(ref: ObjectRef, body: string, contentType: string): Promise<void>;
}
