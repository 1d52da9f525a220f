// Domain: how many refused requests the approval page audits. Every refusal is counted (a metric);
// only so many a minute become audit events, so a flood of forged links cannot flood the audit
// trail, and the next event audited says how many were left out meanwhile.

export interface AuditBudgetOptions {
  /** Events audited per minute once the burst is spent. @default 10 */
  readonly perMinute?: number;
  /** Events audited at once after a quiet spell. @default 20 */
  readonly burst?: number;
}

/** A token bucket over an explicit clock (epoch milliseconds). One per warm function instance. */
export class AuditBudget {
  private tokens: number;
  private refilledAt: number | null = null;
  private skipped = 0;
  private readonly perMinute: number;
  private readonly burst: number;

  constructor(options: AuditBudgetOptions = {}) {
    this.perMinute = options.perMinute ?? 10;
    this.burst = options.burst ?? 20;
    this.tokens = this.burst;
  }

  /**
   * Whether one more refusal may be audited at `now`; when it may, how many were not audited
   * since the last one that was.
   */
  take(now: number): { readonly audit: true; readonly skippedBefore: number } | { readonly audit: false } {
    if (this.refilledAt !== null) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 60_000) * this.perMinute);
    }
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.skipped += 1;
      return { audit: false };
    }
    this.tokens -= 1;
    const skippedBefore = this.skipped;
    this.skipped = 0;
    return { audit: true, skippedBefore };
  }
}
