// Domain (govern): the id of the pipeline dataset the audit events are records of. On its own, with
// no schema, so the raw layout and dataset ownership contracts (and every function bundle that reaches
// them) name it without building the guardrail schemas of audit.ts at import.

/** Id of the pipeline dataset the audit events are records of. */
export const GOVERNANCE_DATASET_ID = 'pipeline_governance';
