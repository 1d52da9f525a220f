// Where the pipeline's own records live in the raw bucket, shared by the functions that write or
// read them and the CDK grants that narrow those functions to these prefixes.

/** The guardrail stage's and the reviews' audit events (dataset `pipeline_governance`). */
export const GOVERNANCE_RECORDS_PREFIX = 'raw/dataset=pipeline_governance/';

/** Ingestion's data-quality records (dataset `pipeline_ingest`). */
export const DATA_QUALITY_RECORDS_PREFIX = 'raw/dataset=pipeline_ingest/';

/** The partition key of the commit log entries of the data-quality records (in the state table). */
export const DATA_QUALITY_COMMITS_KEY = 'COMMITS#pipeline_ingest';
