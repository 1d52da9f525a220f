// Contract: the work bucket's layout, which the compute function writes and its grants cover.

/** Archived lineage input lists: `lineage/kpi=<id>/<sha256>.json.gz`. */
export const LINEAGE_PREFIX = 'lineage/';
/** Kept partial states of raw partitions, per KPI. */
export const PARTIALS_PREFIX = 'partials/';
