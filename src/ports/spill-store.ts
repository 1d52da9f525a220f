// Port: scratch space for one ingestion run. Records read in any time order are gathered by hour
// in memory up to a byte budget, then spilled here as runs, and read back hour by hour when the
// batch is written: memory stays bounded whatever the order, and each hour becomes one object.
// In Lambda it is the function's ephemeral storage (/tmp); in tests it may be memory.

/** One scratch file: appended to, read back by range, deleted when the run ends. */
export interface SpillFile {
  /** Appends bytes; resolves with the offset they start at. */
  append(bytes: Uint8Array): Promise<number>;
  /** The `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Bytes appended so far. */
  readonly size: number;
  /** Deletes the file. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface SpillStore {
  create(): Promise<SpillFile>;
}
