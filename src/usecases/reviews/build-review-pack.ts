// Use case (review): build a review pack when its kind's schedule fires. Everything comes from the
// stores, never from a run's memory: the definitions and their change log, the KPI values with their
// restatements, the audit trail, the approvals and autonomy controls, the data-quality records of
// ingestion, the calibration proposals, the previous pack and what reviewers did since. It opens or grows the drift review
// cases, notes the overdue action items, writes the pack (HTML and JSON) and sends each member of the
// audience their own signed link.
import type { Grain, KpiDefinition } from '../../domain/definition/schema';
import { isoTime, periodEnd, periodStart, shiftPeriod } from '../../domain/engine/time';
import { ValidationError } from '../../domain/errors';
import { annotationAppliesTo, overlaps } from '../../domain/evaluation/drift/annotations';
import { reviewAuditEvent } from '../../domain/guardrails/audit';
import type { TypedRecord } from '../../domain/records';
import { actionItemsForPack, dueBy } from '../../domain/reviews/action-items';
import {
  type DriftCase,
  type DriftPoint,
  driftCaseId,
  inputQualityOf,
  reconcileDriftCases,
} from '../../domain/reviews/drift-cases';
import {
  REVIEW_KIND_SPECS,
  type ReviewKind,
  reviewIdOf,
  reviewPeriodBefore,
  reviewPeriodOf,
} from '../../domain/reviews/kinds';
import { reviewEmail } from '../../domain/reviews/messages';
import {
  type GovernanceSummary,
  packHeadline,
  REVIEW_PACK_FORMAT,
  type ReviewPack,
  reviewPackSchema,
} from '../../domain/reviews/pack';
import { proposalsForPack } from '../../domain/reviews/proposals';
import { type ReviewLinkClaims, reviewLinkSigningPayload, reviewLinkUrl } from '../../domain/reviews/review-link';
import { reviewedKpiSummary } from '../../domain/reviews/scorecard';
import {
  type DataQualityLimits,
  DEFAULT_DATA_QUALITY_LIMITS,
  type ReviewedKpi,
  scorecardAt,
  whatChanged,
} from '../../domain/reviews/what-changed';
import { OPEN_PROPOSAL_STATUSES, PROPOSAL_STATUSES } from '../../domain/versioning/proposals';
import type { AnnotationStore } from '../../ports/annotation-store';
import type { ApprovalStore } from '../../ports/approvals';
import type { AuditLog, AuditQuery } from '../../ports/audit-log';
import type { AutonomyControls } from '../../ports/autonomy-controls';
import type { Clock } from '../../ports/clock';
import type { DefinitionStore, ProposalStore } from '../../ports/definition-store';
import type { KpiValueStore } from '../../ports/kpi-value-store';
import type { PayloadSigner } from '../../ports/payload-signer';
import type { RawPartitionSource } from '../../ports/raw-partitions';
import type { ReviewNotifier } from '../../ports/review-notifier';
import type { ReviewPackObjects, ReviewStore } from '../../ports/review-store';
import { buildReportModel, type DataQualityRow, proposalRows } from '../../report/build-report';
import { governanceReportData } from '../../report/governance';
import { type ReviewDocument, reviewDocumentSchema } from '../../report/review-pack';
import { definitionChangesOf } from './definition-changes';

/** How long a review link can record, by default: two weeks, past the next pack. */
export const DEFAULT_REVIEW_LINK_DAYS = 14;

/** One review kind as deployed: who reviews, where the page is, how long links live. */
export interface ReviewSettings {
  readonly kind: ReviewKind;
  /** The audience: each gets their own link. */
  readonly audience: readonly string[];
  /** Base URL of the review page (the page API, or a custom domain). */
  readonly pageUrl: string;
  /** @default DEFAULT_REVIEW_LINK_DAYS */
  readonly linkDays?: number;
  /** @default DEFAULT_DATA_QUALITY_LIMITS */
  readonly limits?: DataQualityLimits;
}

export interface BuildReviewPackDeps {
  readonly definitions: Pick<DefinitionStore<KpiDefinition>, 'list' | 'history' | 'versions'> &
    Pick<ProposalStore<KpiDefinition>, 'listProposals'>;
  readonly values: Pick<KpiValueStore, 'history' | 'forPeriod'>;
  readonly audit: AuditLog & Pick<AuditQuery, 'byTime'>;
  readonly approvals: Pick<ApprovalStore, 'listRequests'>;
  readonly controls: Pick<AutonomyControls, 'read'>;
  readonly annotations: Pick<AnnotationStore, 'list'>;
  /** The raw store: the `pipeline_ingest` records are read from it. */
  readonly raw: Pick<RawPartitionSource, 'list' | 'scan'>;
  readonly reviews: ReviewStore;
  readonly packs: ReviewPackObjects;
  readonly signer: PayloadSigner;
  readonly notifier: ReviewNotifier;
  readonly clock: Clock;
  /**
   * Renders the stored page of a pack it has validated (src/report/review-pack-page.ts; the
   * review-pack function imports it on its first render).
   */
  readonly render: (document: ReviewDocument) => string | Promise<string>;
}

export interface BuildReviewPackResult {
  readonly reviewId: string;
  /** `built`, or `exists` when the period had its pack already (a retried schedule). */
  readonly outcome: 'built' | 'exists';
  readonly html: string;
  readonly json: string;
  /** Bytes of the page and of the JSON. */
  readonly sizes: { readonly html: number; readonly json: number };
  /** Reviewers a link was sent to. */
  readonly notified: readonly string[];
  readonly headline: string;
  readonly casesOpened: number;
  readonly overdueItems: number;
}

const DATA_QUALITY_DATASET = 'pipeline_ingest';
/**
 * How long before the change window a proposal decided in it may have been made: a proposal waits
 * for an approval for days, not months (the approval workflow's deadlines); older ones are not read.
 */
const PROPOSAL_LOOKBACK_MS = 180 * 86_400_000;

/** The proposals open now, whenever made, and those made in the lookback (decided ones among them). */
async function proposalsOf(
  definitions: Pick<ProposalStore<KpiDefinition>, 'listProposals'>,
  window: { readonly from: number; readonly to: number },
) {
  const lists = await Promise.all(
    PROPOSAL_STATUSES.map((status) =>
      definitions.listProposals({
        status,
        since: OPEN_PROPOSAL_STATUSES.includes(status) ? 0 : window.from - PROPOSAL_LOOKBACK_MS,
        limit: 1000,
      }),
    ),
  );
  return lists.flat();
}
const HOUR = 3_600_000;

/** The `pipeline_ingest` records ingested in `[from, to)`, from the raw store's hour partitions. */
export async function dataQualityRecords(
  raw: Pick<RawPartitionSource, 'list' | 'scan'>,
  range: { readonly from: number; readonly to: number },
): Promise<TypedRecord[]> {
  const partitions = await raw.list(DATA_QUALITY_DATASET, Math.floor(range.from / HOUR) * HOUR, range.to);
  const records: TypedRecord[] = [];
  // A few reads at a time: each partition is an object or two.
  for (let i = 0; i < partitions.length; i += 16) {
    await Promise.all(
      partitions.slice(i, i + 16).map(async (p) => {
        for await (const batch of raw.scan(p)) {
          for (const r of batch) {
            const at = r.ingested_at;
            if (typeof at === 'number' && at >= range.from && at < range.to) records.push(r);
          }
        }
      }),
    );
  }
  return records;
}

function readPack(json: string): ReviewPack | undefined {
  try {
    const parsed = reviewDocumentSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data.pack : undefined;
  } catch {
    return undefined;
  }
}

/** Rows read, quarantined by reason and freshness per dataset, as the report's data-quality panel shows them. */
function dataQualityRows(records: readonly TypedRecord[], now: number): DataQualityRow[] {
  const rows = new Map<string, DataQualityRow & { newest: number }>();
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  for (const r of records) {
    const dataset = String(r.dataset);
    const row = rows.get(dataset) ?? {
      dataset,
      read: 0,
      valid: 0,
      quarantined: 0,
      byReason: {},
      newestEventAt: null,
      freshnessLagMinutes: null,
      newest: Number.NEGATIVE_INFINITY,
    };
    if (r.record_type === 'batch') {
      row.read += n(r.rows_received);
      row.valid += n(r.rows_valid);
      row.quarantined += n(r.rows_quarantined);
      if (typeof r.newest_event_time === 'number') row.newest = Math.max(row.newest, r.newest_event_time);
    } else if (r.record_type === 'quarantine_reason' && typeof r.reason === 'string') {
      row.byReason[r.reason] = (row.byReason[r.reason] ?? 0) + n(r.rows_quarantined);
    }
    rows.set(dataset, row);
  }
  return [...rows.values()]
    .sort((a, b) => a.dataset.localeCompare(b.dataset))
    .map(({ newest, ...row }) => ({
      ...row,
      newestEventAt: Number.isFinite(newest) ? isoTime(newest) : null,
      freshnessLagMinutes: Number.isFinite(newest) ? Math.max(0, Math.round((now - newest) / 60_000)) : null,
    }));
}

function governanceSummary(pack: Pick<ReviewPack, 'changes'>, openApprovals: number): GovernanceSummary {
  const { approvals, autonomyChanges } = pack.changes;
  const decided = approvals.filter((a) => a.event === 'decided');
  // Precision is about guardrail alarms: a definition change's approval has no agent to go on.
  const judged = decided.filter((a) => a.agentContinued !== null);
  const acted = judged.filter((a) => a.agentContinued === false).length;
  return {
    approvalsAsked: approvals.filter((a) => a.event === 'asked').length,
    approvalsDecided: decided.length,
    agentContinued: decided.filter((a) => a.agentContinued === true).length,
    guardrailPrecision: judged.length > 0 ? acted / judged.length : null,
    escalations: approvals.filter((a) => a.event === 'escalated').length,
    safeDefaults: approvals.filter((a) => a.event === 'expired').length,
    autonomyChanges: autonomyChanges.length,
    openApprovals,
  };
}

/** Opens a case for each new drift episode of the reviewed KPIs, grows the open ones; records what it opened. */
async function reconcileCases(
  kpis: readonly { readonly definition: KpiDefinition; readonly reviewed: ReviewedKpi }[],
  context: { reviewId: string; kind: ReviewKind; periodEnd: number; asOf: string; ingest: readonly TypedRecord[] },
  limits: DataQualityLimits,
  deps: BuildReviewPackDeps,
): Promise<DriftCase[]> {
  const annotations = await deps.annotations.list();
  const opened: DriftCase[] = [];
  const checklistOf = (definition: KpiDefinition, first: number, last: number) => {
    const range = { from: first, to: periodEnd(definition.grain as Grain, last) };
    return {
      inputs: definition.datasets.map((d) => inputQualityOf(context.ingest, d.id, range, limits.freshnessMinutes)),
      annotations: annotations
        .filter((a) => annotationAppliesTo(a, definition.id) && overlaps(a, range.from, range.to))
        .map((a) => ({ id: a.id, label: a.label, from: isoTime(a.from), to: isoTime(a.to), effect: a.effect })),
    };
  };
  for (const { definition, reviewed } of kpis) {
    const points: DriftPoint[] = reviewed.series
      .filter((v) => Date.parse(v.periodStart) < context.periodEnd)
      .map((v) => ({
        periodStart: Date.parse(v.periodStart),
        drifting: v.drift?.verdict === 'drift',
        direction: v.drift?.signals[0]?.direction ?? null,
        message: v.drift?.message ?? '',
      }));
    if (!points.some((p) => p.drifting)) continue;
    const grain = definition.grain as Grain;
    const { toOpen, toExtend } = reconcileDriftCases(await deps.reviews.listCasesOfKpi(definition.id), points, grain);
    for (const episode of toOpen) {
      const driftCase: DriftCase = {
        caseId: driftCaseId(definition.id, episode),
        kpiId: definition.id,
        kpiName: definition.name,
        grain,
        firstPeriod: isoTime(episode.first),
        lastPeriod: isoTime(episode.last),
        periods: episode.periods,
        direction: episode.direction,
        message: episode.message,
        openedAt: context.asOf,
        openedIn: context.reviewId,
        status: 'open',
        checklist: checklistOf(definition, episode.first, episode.last),
        decision: null,
      };
      if (await deps.reviews.openCase(driftCase)) opened.push(driftCase);
      await deps.audit.record(
        reviewAuditEvent({
          eventId: `${driftCase.caseId}|opened`,
          type: 'review_case_opened',
          occurredAt: context.asOf,
          actor: 'review:schedule',
          reviewId: context.reviewId,
          reviewKind: context.kind,
          kpiId: definition.id,
          itemId: driftCase.caseId,
          detail: `${episode.periods} drifting ${grain} period(s) from ${isoTime(episode.first).slice(0, 10)}: ${episode.message}`,
        }),
      );
    }
    for (const { driftCase, last, added, direction, message } of toExtend) {
      await deps.reviews.extendCase({
        ...driftCase,
        lastPeriod: isoTime(last),
        periods: driftCase.periods + added,
        direction: direction ?? driftCase.direction,
        message,
        checklist: checklistOf(definition, Date.parse(driftCase.firstPeriod), last),
      });
    }
  }
  return opened;
}

/** The period a build reviews: the one named, or the last one that ended by the build's time. */
function reviewedPeriod(kind: ReviewKind, event: { readonly scheduledTime: number; readonly period?: string }) {
  if (event.period === undefined) return reviewPeriodBefore(kind, event.scheduledTime);
  const period = reviewPeriodOf(kind, event.period);
  if (!period)
    throw new ValidationError(`${event.period} is not a period of the ${kind} review`, { location: 'period' });
  if (period.end > event.scheduledTime) {
    throw new ValidationError(`${event.period} has not ended at ${isoTime(event.scheduledTime)}`, {
      location: 'period',
    });
  }
  return period;
}

/** What a build is about: the kind, the period reviewed, and the time it is built as of. */
interface PackBuild {
  readonly kind: ReviewKind;
  readonly spec: (typeof REVIEW_KIND_SPECS)[ReviewKind];
  readonly limits: DataQualityLimits;
  readonly asOfMs: number;
  readonly asOf: string;
  readonly period: ReturnType<typeof reviewedPeriod>;
  readonly reviewId: string;
}

/** What the stores say about the build's window, read before anything is written. */
interface PackInputs {
  readonly previousRecord: Awaited<ReturnType<ReviewStore['previousPack']>>;
  readonly previousPack: ReviewPack | undefined;
  /** From the previous pack's time (or the period's start) to the build's. */
  readonly window: { readonly from: number; readonly to: number };
  readonly range: { readonly from: string; readonly to: string };
  readonly chartFrom: number;
  readonly definitions: KpiDefinition[];
  readonly kpis: { readonly definition: KpiDefinition; readonly reviewed: ReviewedKpi }[];
  readonly changeLogs: Map<string, Awaited<ReturnType<typeof definitionChangesOf>>>;
  /** The data-quality records of the change window, the window before it and the chart window. */
  readonly ingest: TypedRecord[];
  readonly inWindow: TypedRecord[];
  readonly before: TypedRecord[];
  readonly governance: Awaited<ReturnType<AuditQuery['byTime']>>;
  readonly proposals: Awaited<ReturnType<typeof proposalsOf>>;
}

/**
 * Builds the pack of the kind's period that ended by `scheduledTime` (or of `period`, a missed or
 * late one), as of `scheduledTime`, writes it and sends the links. Idempotent: a pack already
 * recorded for the period is left as it is.
 */
export async function buildReviewPack(
  event: { readonly scheduledTime: number; readonly period?: string },
  settings: ReviewSettings,
  deps: BuildReviewPackDeps,
): Promise<BuildReviewPackResult> {
  const build = packBuildOf(event, settings);
  const existing = await deps.reviews.getPack(build.kind, build.period.label);
  if (existing) return existingPack(build, existing.headline, deps);

  const inputs = await readPackInputs(build, deps);
  const changes = whatChanged({
    period: build.period,
    window: inputs.window,
    kpis: inputs.kpis.map((k) => k.reviewed),
    previousScorecard: inputs.previousPack?.scorecard ?? null,
    definitionChanges: [...inputs.changeLogs.values()].flat(),
    governance: inputs.governance,
    ingest: inputs.inWindow,
    ingestBefore: inputs.before,
    limits: build.limits,
    proposals: proposalsForPack(inputs.proposals, inputs.window, inputs.definitions),
  });
  const { reviewId, kind, period, asOf } = build;
  const opened = await reconcileCases(
    inputs.kpis,
    { reviewId, kind, periodEnd: period.end, asOf, ingest: inputs.ingest },
    build.limits,
    deps,
  );
  const kpiIds = new Set(inputs.definitions.map((d) => d.id));
  const cases = [...(await deps.reviews.listOpenCases()), ...(await deps.reviews.listClosedCases(inputs.range))].filter(
    (c) => kpiIds.has(c.kpiId),
  );
  const items = actionItemsForPack(
    [...(await deps.reviews.listOpenActionItems()), ...(await deps.reviews.listClosedActionItems(inputs.range))],
    reviewId,
    inputs.window,
  );
  const overdue = await recordOverdueItems(build, items.open, deps);
  const pack = await assemblePack(build, settings, inputs, { changes, cases, items }, deps);
  const { html, json } = await writePackDocument(build, pack, inputs, deps);
  await sendReviewLinks(build, pack, settings, deps);
  const headline = await recordPublished(build, pack, deps);
  return {
    reviewId,
    outcome: 'built',
    html,
    json,
    sizes: { html: Buffer.byteLength(html), json: Buffer.byteLength(json) },
    notified: pack.audience,
    headline,
    casesOpened: opened.length,
    overdueItems: overdue.length,
  };
}

function packBuildOf(
  event: { readonly scheduledTime: number; readonly period?: string },
  settings: ReviewSettings,
): PackBuild {
  const period = reviewedPeriod(settings.kind, event);
  return {
    kind: settings.kind,
    spec: REVIEW_KIND_SPECS[settings.kind],
    limits: settings.limits ?? DEFAULT_DATA_QUALITY_LIMITS,
    asOfMs: event.scheduledTime,
    asOf: isoTime(event.scheduledTime),
    period,
    reviewId: reviewIdOf(settings.kind, period.label),
  };
}

/** The answer for a period whose pack is recorded already (a retried schedule): nothing is built or sent. */
async function existingPack(
  build: PackBuild,
  headline: string,
  deps: Pick<BuildReviewPackDeps, 'packs'>,
): Promise<BuildReviewPackResult> {
  const json = (await deps.packs.readJson(build.kind, build.period.label)) ?? '';
  return {
    reviewId: build.reviewId,
    outcome: 'exists',
    html: '',
    json,
    sizes: { html: 0, json: Buffer.byteLength(json) },
    notified: [],
    headline,
    casesOpened: 0,
    overdueItems: 0,
  };
}

async function readPackInputs(build: PackBuild, deps: BuildReviewPackDeps): Promise<PackInputs> {
  const { kind, spec, period, asOf, asOfMs } = build;
  const previousRecord = await deps.reviews.previousPack(kind, period.label);
  const previousJson = previousRecord ? await deps.packs.readJson(kind, previousRecord.period) : undefined;
  // A previous pack in another format (or unreadable) counts as none: the stores give the standing.
  const previousPack = previousJson ? readPack(previousJson) : undefined;
  const window = { from: previousRecord ? Date.parse(previousRecord.asOf) : period.start, to: asOfMs };
  const chartFrom = shiftPeriod(spec.grain, period.start, -spec.trendPeriods);

  const categories = new Set<string>(spec.categories);
  const [active, retired] = await Promise.all([deps.definitions.list('active'), deps.definitions.list('retired')]);
  const ofKind = (d: KpiDefinition) => categories.has(d.category);
  const definitions = active.map((s) => s.definition).filter(ofKind);
  const kpis = await Promise.all(
    definitions.map(async (definition) => ({
      definition,
      reviewed: {
        kpi: reviewedKpiSummary(definition),
        series: await deps.values.history({
          kpiId: definition.id,
          dimensions: {},
          grain: definition.grain,
          from: isoTime(periodStart(definition.grain, chartFrom)),
          to: asOf,
        }),
      } satisfies ReviewedKpi,
    })),
  );
  const changeLogs = new Map(
    await Promise.all(
      [...definitions, ...retired.map((s) => s.definition).filter(ofKind)].map(
        async (d) => [d.id, await definitionChangesOf(deps.definitions, d.id)] as const,
      ),
    ),
  );

  // The data-quality records: the change window and the one before it (spikes), and the chart
  // window (the drift cases' checklists look at the drifting periods).
  const span = window.to - window.from;
  const ingestFrom = Math.min(window.from - span, chartFrom);
  const ingest = await dataQualityRecords(deps.raw, { from: ingestFrom, to: window.to });
  const inWindow = ingest.filter((r) => (r.ingested_at as number) >= window.from);
  const before = ingest.filter(
    (r) => (r.ingested_at as number) >= window.from - span && (r.ingested_at as number) < window.from,
  );
  const range = { from: isoTime(window.from), to: asOf };
  const governance = await deps.audit.byTime(range);
  const proposals = await proposalsOf(deps.definitions, window);
  return {
    previousRecord,
    previousPack,
    window,
    range,
    chartFrom,
    definitions,
    kpis,
    changeLogs,
    ingest,
    inWindow,
    before,
    governance,
    proposals,
  };
}

/** Notes in the audit trail each open action item past its due date; returns them. */
async function recordOverdueItems<I extends ReturnType<typeof actionItemsForPack>['open'][number]>(
  build: PackBuild,
  open: readonly I[],
  deps: Pick<BuildReviewPackDeps, 'audit'>,
): Promise<I[]> {
  const overdue = open.filter((i) => i.overdue);
  for (const item of overdue) {
    await deps.audit.record(
      reviewAuditEvent({
        eventId: `${item.itemId}|overdue|${build.reviewId}`,
        type: 'action_item_overdue',
        occurredAt: build.asOf,
        actor: 'review:schedule',
        reviewId: build.reviewId,
        reviewKind: build.kind,
        kpiId: item.kpiId,
        itemId: item.itemId,
        dueAt: isoTime(dueBy(item)),
        detail: `${item.what} · owner ${item.owner} · due ${item.due}`,
      }),
    );
  }
  return overdue;
}

/** The pack itself: the previous pack's sign-offs, the scorecard, what changed, cases and items. */
async function assemblePack(
  build: PackBuild,
  settings: ReviewSettings,
  inputs: PackInputs,
  found: {
    readonly changes: ReviewPack['changes'];
    readonly cases: ReviewPack['cases'];
    readonly items: ReviewPack['actionItems'];
  },
  deps: Pick<BuildReviewPackDeps, 'reviews' | 'approvals'>,
): Promise<ReviewPack> {
  const { kind, period } = build;
  const { previousRecord, range } = inputs;
  const previousSignOffs = previousRecord ? await deps.reviews.listSignOffs(kind, previousRecord.period) : [];
  const signers = new Set(previousSignOffs.map((s) => s.reviewer));
  const openApprovals = (await deps.approvals.listRequests('pending', 1000)).length;
  return reviewPackSchema.parse({
    format: REVIEW_PACK_FORMAT,
    reviewId: build.reviewId,
    kind,
    title: build.spec.title,
    period: { label: period.label, start: isoTime(period.start), end: isoTime(period.end) },
    asOf: build.asOf,
    window: { from: range.from, to: range.to },
    previous: previousRecord
      ? {
          reviewId: previousRecord.reviewId,
          asOf: previousRecord.asOf,
          signOffs: previousSignOffs.map((s) => ({ reviewer: s.reviewer, signedAt: s.signedAt, note: s.note })),
          notSignedBy: previousRecord.audience.filter((a) => !signers.has(a)),
        }
      : null,
    audience: [...new Set(settings.audience.map((a) => a.toLowerCase()))],
    scorecard: scorecardAt(
      inputs.kpis.map((k) => k.reviewed),
      period.end,
    ),
    changes: found.changes,
    cases: found.cases,
    actionItems: found.items,
    governance: governanceSummary({ changes: found.changes }, openApprovals),
  });
}

/** Renders the pack with the report built on it and writes both files; returns them. */
async function writePackDocument(
  build: PackBuild,
  pack: ReviewPack,
  inputs: PackInputs,
  deps: BuildReviewPackDeps,
): Promise<{ html: string; json: string }> {
  const { spec, period, asOfMs } = build;
  const { definitions, range } = inputs;
  const report = await buildReportModel({
    definitions,
    values: deps.values,
    from: inputs.chartFrom,
    to: period.end,
    dataQuality: dataQualityRows(inputs.inWindow, asOfMs),
    governance: await governanceReportData(deps, range),
    run: {
      description: `${spec.title} ${period.label}: KPI periods to ${isoTime(period.end).slice(0, 10)}, changes since ${range.from.slice(0, 16)}Z`,
    },
    generatedAt: asOfMs,
    changeLog: async (id) => inputs.changeLogs.get(id) ?? [],
    // The report's threshold proposals: those the pack holds.
    proposals: proposalRows(
      inputs.proposals.filter((p) => pack.changes.proposals.some((q) => q.kpiId === p.kpiId && q.proposalId === p.id)),
      (id) => definitions.find((d) => d.id === id),
    ),
  });
  const document = reviewDocumentSchema.parse({ pack, report: { ...report, title: `${spec.title} ${period.label}` } });
  const json = `${JSON.stringify(document)}\n`;
  const html = await deps.render(document);
  await deps.packs.write(build.kind, period.label, { html, json });
  return { html, json };
}

/** Sends each member of the audience their own signed link to the pack's page. */
async function sendReviewLinks(
  build: PackBuild,
  pack: ReviewPack,
  settings: ReviewSettings,
  deps: Pick<BuildReviewPackDeps, 'clock' | 'signer' | 'notifier'>,
): Promise<void> {
  // Links expire a number of days after they are sent (now), whatever period the pack reviews.
  const expiresAt = Math.floor(deps.clock.now() / 1000) + (settings.linkDays ?? DEFAULT_REVIEW_LINK_DAYS) * 86_400;
  for (const reviewer of pack.audience) {
    const claims: ReviewLinkClaims = { kind: build.kind, period: build.period.label, reviewer, expiresAt };
    const link = reviewLinkUrl(settings.pageUrl, claims, await deps.signer.sign(reviewLinkSigningPayload(claims)));
    const message = reviewEmail(pack, link, isoTime(expiresAt * 1000));
    await deps.notifier.notifyReviewer({ reviewer, reviewId: build.reviewId, ...message });
  }
}

/** Records the pack in the reviews table and its publication in the audit trail; returns its headline. */
async function recordPublished(
  build: PackBuild,
  pack: ReviewPack,
  deps: Pick<BuildReviewPackDeps, 'packs' | 'reviews' | 'audit'>,
): Promise<string> {
  const { reviewId, kind, period, asOf } = build;
  const headline = packHeadline(pack);
  const keys = deps.packs.location(kind, period.label);
  await deps.reviews.recordPack({
    reviewId,
    kind,
    period: period.label,
    asOf,
    htmlKey: keys.html,
    jsonKey: keys.json,
    audience: pack.audience,
    headline,
  });
  await deps.audit.record(
    reviewAuditEvent({
      eventId: `${reviewId}|published`,
      type: 'review_published',
      occurredAt: asOf,
      actor: 'review:schedule',
      reviewId,
      reviewKind: kind,
      detail: `${headline}; sent to ${pack.audience.length} reviewer(s)`,
    }),
  );
  return headline;
}
