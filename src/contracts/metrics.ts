// Metric names the handlers emit (Powertools EMF, namespace AgentKpiPipeline, dimension `service`)
// and the CDK dashboard and alarms read. One list, so the two cannot drift apart.

export const METRICS_NAMESPACE = 'AgentKpiPipeline';

export const PipelineMetric = {
  /** Rows that became records (service: ingest-*). */
  RowsIngested: 'RowsIngested',
  /** Rows kept in quarantine with a reason (service: ingest-*). */
  RowsQuarantined: 'RowsQuarantined',
  /** Whole files that could not be read at all (service: ingest-*). */
  FilesQuarantined: 'FilesQuarantined',
  /** Rows dropped because their key was already ingested (service: ingest-*). */
  RowsDuplicate: 'RowsDuplicate',
  /** Objects the raw store's sweeper deleted: uncommitted leftovers and superseded batches (service: sweep-raw-store). */
  ObjectsSwept: 'ObjectsSwept',
  /** Datasets past their declared `warnAfter`, or never arrived past it (service: check-freshness). */
  DatasetsLate: 'DatasetsLate',
  /** KPI values written (service: compute). A KPI that stops producing them is stale. */
  KpiValuesComputed: 'KpiValuesComputed',
  /** The overall value of a KPI (service: compute, dimension `kpi`), for the dashboard. */
  KpiValue: 'KpiValue',
  /**
   * The overall forecast of a KPI at the end of its horizon, and its probability of red there
   * (service: compute, dimension `kpi`), for the dashboard; above the KPI's level it is at_risk.
   */
  KpiForecast: 'KpiForecast',
  KpiRedProbability: 'KpiRedProbability',
  /** Violations handed to the guardrail stage (service: compute). */
  Violations: 'Violations',
  /** Approval requests started (service: governance). */
  ApprovalsRequested: 'ApprovalsRequested',
  /** Decisions recorded (service: governance). */
  ApprovalsDecided: 'ApprovalsDecided',
  /** Requests that escalated to the next tier (service: governance). */
  ApprovalsEscalated: 'ApprovalsEscalated',
  /** Requests that ran out of tiers and took the safe default (service: governance). */
  ApprovalsExpired: 'ApprovalsExpired',
  /** Requests the approval page refused: forged, altered, expired, replayed links (service: governance). */
  LinksRefused: 'LinksRefused',
  /** Minutes from request to decision (service: governance). */
  ApprovalLatencyMinutes: 'ApprovalLatencyMinutes',
  /** Review packs built, not found already built (service: review-pack). */
  ReviewPacksBuilt: 'ReviewPacksBuilt',
  /** Threshold proposals a calibration run made (service: calibrate). */
  CalibrationsProposed: 'CalibrationsProposed',
  /** Dates written as Parquet snapshots (service: export-snapshots). */
  SnapshotsWritten: 'SnapshotsWritten',
  /** Resources the self check could not reach (service: self-check). */
  UnreachableResources: 'UnreachableResources',
} as const;

export type PipelineMetricName = (typeof PipelineMetric)[keyof typeof PipelineMetric];
