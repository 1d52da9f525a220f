// Port: checks that one piece of infrastructure the pipeline depends on is reachable.

export interface ResourceProbe {
  /** What is probed, e.g. `bucket` or `table`. */
  readonly kind: string;
  /** Its role in the pipeline, e.g. `raw`. */
  readonly role: string;
  /** Its physical name. */
  readonly name: string;
  /** Resolves when reachable; rejects with the reason otherwise. */
  check(): Promise<void>;
}
