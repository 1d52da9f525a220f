// Use case: the post-deploy self check. Probes every resource concurrently and reports.
import { describeError } from '../domain/errors';
import type { Clock } from '../ports/clock';
import type { ResourceProbe } from '../ports/resource-probe';

export interface SelfCheckFailure {
  readonly kind: string;
  readonly role: string;
  readonly name: string;
  readonly reason: string;
}

export interface SelfCheckReport {
  readonly healthy: boolean;
  /** ISO-8601 time of the check. */
  readonly checkedAt: string;
  /** One line for people, e.g. `11 of 11 resources reachable`. */
  readonly summary: string;
  readonly failures: SelfCheckFailure[];
}

export async function runSelfCheck(probes: readonly ResourceProbe[], clock: Clock): Promise<SelfCheckReport> {
  const checkedAt = new Date(clock.now()).toISOString();
  const outcomes = await Promise.allSettled(probes.map((probe) => probe.check()));
  const failures: SelfCheckFailure[] = [];
  outcomes.forEach((outcome, i) => {
    const probe = probes[i];
    if (outcome.status === 'rejected' && probe) {
      failures.push({ kind: probe.kind, role: probe.role, name: probe.name, reason: describeError(outcome.reason) });
    }
  });
  const reachable = probes.length - failures.length;
  return {
    healthy: failures.length === 0 && probes.length > 0,
    checkedAt,
    summary: `${reachable} of ${probes.length} resources reachable`,
    failures,
  };
}
