// Use case (ingest, watched): the scheduled freshness check. For every dataset in force that
// declares `freshness`, it finds the last committed arrival, judges it against the declaration,
// writes a `freshness` record per dataset to `pipeline_ingest` (what the freshness KPI counts), and
// tells the dataset's owner of each change of level (ok → warn → fail, and back to ok) once.
//
// It runs on its own schedule, not inside ingestion: a dataset that stopped arriving is found when
// no batch at all is ingested, which is exactly when ingestion has nothing to say.
//
// Once per change: the change is claimed in the dataset's state (a conditional write), then
// published, then marked sent. A retried run finds the change claimed and sends nothing again; a
// run that died between the claim and the publish leaves the notice pending, and the next run
// publishes it once its lease is over (with the same notice id, so a subscriber can drop the one
// repeat that a death right after the publish would cause).
import { createHash } from 'node:crypto';
import {
  assessFreshness,
  type DatasetDeclaration,
  type FreshnessAssessment,
  type FreshnessTransition,
  freshnessLimits,
  freshnessNotice,
  freshnessRecord,
  freshnessTransition,
} from '../domain/dataset';
import type { FreshnessNoticeState, FreshnessState } from '../domain/dataset/freshness-state';
import type { Clock } from '../ports/clock';
import type {
  DatasetArrivals,
  DatasetOwnerNotifier,
  FreshnessStateStore,
  PipelineRecordWriter,
} from '../ports/dataset-freshness';

const DAY = 86_400_000;

export interface FreshnessCheckDependencies {
  /** The declarations in force (published versions, else those the deployment ships), retired ones left out. */
  readonly declarations: () => Promise<readonly DatasetDeclaration[]>;
  readonly arrivals: DatasetArrivals;
  readonly state: FreshnessStateStore;
  readonly notifier: DatasetOwnerNotifier;
  readonly records: PipelineRecordWriter;
  /** Wall clock, for the lease of a notice being sent. */
  readonly clock: Clock;
}

export interface FreshnessCheckOptions {
  /** The instant judged (epoch ms): the schedule's time, the same on every retry of one run. */
  readonly at: number;
  /** How long a claimed notice is left to the run that claimed it before another sends it. @default 5 minutes */
  readonly noticeLeaseMillis?: number;
  /**
   * Days of event time, before `failAfter`, in which a commit counts as an arrival: a batch of only
   * older events arriving today does not make a dataset fresh. @default 7
   */
  readonly lookbackDays?: number;
}

/** What the check did for one dataset. */
export interface DatasetFreshnessOutcome {
  readonly dataset: string;
  readonly owner: string;
  readonly status: FreshnessAssessment['status'];
  readonly level: FreshnessAssessment['level'];
  readonly lastArrivalAt: number | null;
  readonly silentMillis: number;
  /** The change of level this run found and told the owner of (null: none, or a later run had judged already). */
  readonly transition: FreshnessTransition | null;
  /** Notices this run published: its own, or one an earlier run left pending. */
  readonly noticesSent: readonly string[];
}

export interface FreshnessCheckReport {
  readonly at: string;
  /** The batch of `pipeline_ingest` records this run committed. */
  readonly batchId: string;
  readonly datasets: readonly DatasetFreshnessOutcome[];
  /** Datasets in force that declare no freshness, so are not checked. */
  readonly unchecked: readonly string[];
}

/** A dataset the check could not finish; the others were checked. */
export class FreshnessCheckError extends Error {
  override readonly name = 'FreshnessCheckError';
  constructor(
    readonly failures: readonly { readonly dataset: string; readonly error: string }[],
    readonly report: FreshnessCheckReport,
  ) {
    super(`freshness check failed for ${failures.map((f) => `${f.dataset} (${f.error})`).join(', ')}`);
  }
}

/** The batch id of a run's records: derived from its time, so a retry commits the same batch. */
export function freshnessBatchId(at: number): string {
  return `freshness-${createHash('sha256').update(new Date(at).toISOString()).digest('hex').slice(0, 40)}`;
}

export async function checkDatasetFreshness(
  deps: FreshnessCheckDependencies,
  options: FreshnessCheckOptions,
): Promise<FreshnessCheckReport> {
  const declarations = [...(await deps.declarations())].sort((a, b) => a.id.localeCompare(b.id));
  const watched = declarations.filter((d) => d.freshness !== undefined);
  const outcomes: DatasetFreshnessOutcome[] = [];
  const assessments: FreshnessAssessment[] = [];
  const failures: { dataset: string; error: string }[] = [];
  for (const declaration of watched) {
    try {
      const { outcome, assessment } = await checkDataset(declaration, deps, options);
      outcomes.push(outcome);
      assessments.push(assessment);
    } catch (error) {
      failures.push({ dataset: declaration.id, error: (error as Error).message });
    }
  }
  const batchId = freshnessBatchId(options.at);
  const records = assessments.map((assessment) => freshnessRecord(assessment, batchId));
  if (records.length > 0) await deps.records.commitPipelineRecords(batchId, options.at, records);
  const report: FreshnessCheckReport = {
    at: new Date(options.at).toISOString(),
    batchId,
    datasets: outcomes,
    unchecked: declarations.filter((d) => d.freshness === undefined).map((d) => d.id),
  };
  if (failures.length > 0) throw new FreshnessCheckError(failures, report);
  return report;
}

async function checkDataset(
  declaration: DatasetDeclaration,
  deps: FreshnessCheckDependencies,
  options: FreshnessCheckOptions,
): Promise<{ outcome: DatasetFreshnessOutcome; assessment: FreshnessAssessment }> {
  const { at } = options;
  const limits = freshnessLimits(declaration.freshness as NonNullable<DatasetDeclaration['freshness']>);
  const noticesSent: string[] = [];
  let state = await deps.state.read(declaration.id);
  if (state?.notice?.delivery === 'pending') {
    const finished = await finishPendingNotice(state, deps, options.noticeLeaseMillis ?? 5 * 60_000);
    if (finished) {
      state = finished;
      if (finished.notice) noticesSent.push(finished.notice.id);
    }
  }
  const notBefore = at - limits.failAfterMillis - (options.lookbackDays ?? 7) * DAY;
  const lastArrivalAt = await deps.arrivals.lastArrival(declaration.id, notBefore);
  const assessment = assessFreshness(declaration, {
    // A batch committed while the run was on its way (after the scheduled time) counts: silence 0.
    lastArrivalAt,
    knownSince: state?.knownSince ?? at,
    now: at,
  }) as FreshnessAssessment;
  const outcome = (transition: FreshnessTransition | null): DatasetFreshnessOutcome => ({
    dataset: declaration.id,
    owner: declaration.owner,
    status: assessment.status,
    level: assessment.level,
    lastArrivalAt: assessment.lastArrivalAt,
    silentMillis: assessment.silentMillis,
    transition,
    noticesSent,
  });
  // A run of this time (a retry) or of a later one has judged already; another run is sending a notice.
  if (state && (state.checkedAt >= at || state.notice?.delivery === 'pending')) {
    return { outcome: outcome(null), assessment };
  }
  const transition = freshnessTransition(state?.level ?? null, assessment.level);
  const sequence = (state?.sequence ?? 0) + (transition ? 1 : 0);
  const notice: FreshnessNoticeState | null = transition
    ? {
        id: `${declaration.id}#${sequence}`,
        transition,
        from: state?.level ?? 'ok',
        to: assessment.level,
        status: assessment.status,
        ...freshnessNotice(assessment, transition, declaration),
        delivery: 'pending',
        claimedAt: deps.clock.now(),
      }
    : (state?.notice ?? null);
  const next: FreshnessState = {
    dataset: declaration.id,
    owner: declaration.owner,
    level: assessment.level,
    status: assessment.status,
    since: transition || !state ? at : state.since,
    knownSince: state?.knownSince ?? at,
    checkedAt: at,
    lastArrivalAt: assessment.lastArrivalAt,
    sequence,
    notice,
    stamp: (state?.stamp ?? 0) + 1,
  };
  // Another run moved the state first: it judged this dataset and owns any notice.
  if (!(await deps.state.write(next))) return { outcome: outcome(null), assessment };
  if (transition && notice) {
    await sendNotice(next, notice, deps);
    noticesSent.push(notice.id);
  }
  return { outcome: outcome(transition), assessment };
}

/** Publishes a notice a run left pending once its lease is over; the state as it is after, or null when not ours to send. */
async function finishPendingNotice(
  state: FreshnessState,
  deps: FreshnessCheckDependencies,
  leaseMillis: number,
): Promise<FreshnessState | null> {
  const notice = state.notice as FreshnessNoticeState;
  if (deps.clock.now() - notice.claimedAt < leaseMillis) return null;
  const claimed: FreshnessState = {
    ...state,
    notice: { ...notice, claimedAt: deps.clock.now() },
    stamp: state.stamp + 1,
  };
  if (!(await deps.state.write(claimed))) return null;
  return sendNotice(claimed, claimed.notice as FreshnessNoticeState, deps);
}

/** Publishes a claimed notice and marks it sent; on a failed publish, frees it for the next run at once. */
async function sendNotice(
  state: FreshnessState,
  notice: FreshnessNoticeState,
  deps: FreshnessCheckDependencies,
): Promise<FreshnessState> {
  try {
    await deps.notifier.notifyDatasetOwner({
      owner: state.owner,
      dataset: state.dataset,
      status: notice.status,
      transition: notice.transition,
      noticeId: notice.id,
      subject: notice.subject,
      body: notice.body,
    });
  } catch (error) {
    await deps.state.write({ ...state, notice: { ...notice, claimedAt: 0 }, stamp: state.stamp + 1 });
    throw error;
  }
  const sent: FreshnessState = { ...state, notice: { ...notice, delivery: 'sent' }, stamp: state.stamp + 1 };
  // Lost to a concurrent writer: the notice went out; at worst the next run sends it once more.
  await deps.state.write(sent);
  return sent;
}
