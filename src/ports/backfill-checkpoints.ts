// Port: how far a backfill got, so that a crashed or interrupted run resumes where it stopped and
// computes as of the same instant (byte-identical values).

export interface BackfillCheckpoint {
  /** Identifies the run: KPI, range and definition hash. */
  readonly key: string;
  /** The instant every chunk is computed as of (ISO). */
  readonly asOf: string;
  readonly chunks: number;
  /** Indexes of the chunks already computed. */
  readonly done: readonly number[];
}

export interface BackfillCheckpoints {
  /** The checkpoint of a run, creating it with `asOf` when it is new. */
  open(key: string, asOf: string, chunks: number): Promise<BackfillCheckpoint>;
  /** Records that a chunk is computed. */
  markDone(key: string, chunk: number): Promise<void>;
}
