// Where the pipeline's own records live, shared by the functions that write or read them and the
// CDK grants that narrow those functions to these prefixes and keys.
import { PIPELINE_INGEST_DATASET } from '../domain/ingest/data-quality';
import { GOVERNANCE_RECORDS_PREFIX, RAW_PREFIX } from './raw-layout';

/** The guardrail stage's and the reviews' audit events (dataset `pipeline_governance`). */
export { GOVERNANCE_RECORDS_PREFIX };

/** Ingestion's data-quality records (dataset `pipeline_ingest`). */
export const DATA_QUALITY_RECORDS_PREFIX = `${RAW_PREFIX}dataset=${PIPELINE_INGEST_DATASET}/`;

/** The partition key of the commit log entries of the data-quality records (in the state table). */
export const DATA_QUALITY_COMMITS_KEY = `COMMITS#${PIPELINE_INGEST_DATASET}`;
