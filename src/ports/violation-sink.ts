// Port: where evaluate hands the violations it found (the guardrail stage).
import type { ViolationInput } from '../domain/guardrails/violation';

export interface ViolationSink {
  /** Hands over a batch; resolves once the guardrail stage has accepted it. */
  hand(violations: readonly ViolationInput[]): Promise<void>;
}
