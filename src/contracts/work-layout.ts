// Contract: the work bucket's layout, which the compute function writes and its grants cover.

/** Archived lineage input lists: `lineage/kpi=<id>/<sha256>.json.gz`. */
export const LINEAGE_PREFIX = 'lineage/';
/** Kept partial states of raw partitions, per KPI. */
export const PARTIALS_PREFIX = 'partials/';
/**
 * A fanned-out computation's transient objects: the item list of its parts
 * (`fanout/kpi=<id>/plans/<name>.json`, read by the state machine's Distributed Map) and the state
 * each part aggregated of a raw partition
 * (`fanout/kpi=<id>/sig=<signature>/parts/<dataset>/date=…/hour=…/<fingerprint digest>.json.gz`),
 * taken by the finalizing invocation. Expired by a lifecycle rule after {@link FANOUT_EXPIRY_DAYS}.
 */
export const FANOUT_PREFIX = 'fanout/';
/** Days a fanned-out computation's objects are kept: long enough for a retried or resumed run. */
export const FANOUT_EXPIRY_DAYS = 7;
