// Port: the buckets ingestion writes to. A large object is staged (uploaded in parts, not yet under
// its key) and committed once whole. Records go in as NDJSON lines: how they are compressed and cut
// into upload parts is the store's concern. What readers see is decided by the commit log, not by the
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

/** What a finished NDJSON object is, as the manifest records it. */
export interface StoredLines {
  readonly bucket: string;
  readonly key: string;
  readonly records: number;
  /** Bytes stored (compressed). */
  readonly bytes: number;
  /** SHA-256 of the stored bytes, hex. */
  readonly sha256: string;
  /** The event-time range given with the lines; null when none was. */
  readonly minEventTime: number | null;
  readonly maxEventTime: number | null;
}

/** An NDJSON object being written, stored gzip-compressed; it appears under its key on `commit`. */
export interface StagedLines {
  /**
   * Appends complete lines (each ending in `\n`) holding `records` records, with the event-time
   * range they span when known; resolves when the store has taken them (back-pressure).
   */
  append(lines: string | Uint8Array, records: number, minEventTime?: number, maxEventTime?: number): Promise<void>;
  /** Bytes appended so far, before compression. */
  readonly uncompressedBytes: number;
  /** No more lines: everything is uploaded, the object is not visible yet. */
  end(): Promise<StoredLines>;
  /** Makes the object visible under its key. Call after `end`. */
  commit(): Promise<void>;
  /** Discards what was uploaded. Safe to call at any point, and twice. */
  abort(): Promise<void>;
}

/** One gzip member of a {@link StagedMembers} object, as the commit log names it. */
export interface StoredMember extends StoredLines {
  /** Where the member starts in the object, in bytes; `bytes` and `sha256` are the member's own. */
  readonly offset: number;
}

/**
 * An NDJSON object written as a run of gzip members, one per call to `add`, each compressed on its
 * own (a multi-member gzip file: one valid `.ndjson.gz` for gunzip, DuckDB or Athena, and each member
 * readable alone by its byte range). It appears under its key on `commit`.
 */
export interface StagedMembers {
  /** Appends a member made of these complete lines (each ending in `\n`); resolves with what it is. */
  add(
    lines: readonly Uint8Array[],
    records: number,
    minEventTime?: number,
    maxEventTime?: number,
  ): Promise<StoredMember>;
  /** Bytes written so far (compressed). */
  readonly bytes: number;
  /** No more members: everything is uploaded, the object is not visible yet. */
  end(): Promise<void>;
  /** Makes the object visible under its key. Call after `end`. */
  commit(): Promise<void>;
  /** Discards what was uploaded. Safe to call at any point, and twice. */
  abort(): Promise<void>;
}

export interface IngestObjectStore {
  /** The bucket name of an area, recorded in manifests. */
  bucket(area: StorageArea): string;
  /** Starts a staged object of bytes (a key index). */
  stage(ref: ObjectRef, contentType: string): StagedObject;
  /** Starts a staged NDJSON object of records, stored gzip-compressed. */
  stageLines(ref: ObjectRef): StagedLines;
  /** Starts a staged NDJSON object of gzip members (the hours of a small day). */
  stageMembers(ref: ObjectRef): StagedMembers;
  /** Writes a small object at once (manifests, reasons). */
  put(ref: ObjectRef, body: string | Uint8Array, contentType: string): Promise<void>;
  /** An object's bytes, or null when there is none under the key. */
  get(ref: ObjectRef): Promise<Uint8Array | null>;
}
