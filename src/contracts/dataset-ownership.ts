// Contract: who may write which dataset, and where a dataset's data and state live, so the CDK grants
// (lib/constructs/ingestion, lib/constructs/kpi-function.ts) and the runtime agree. Every connector writes the datasets it serves and
// the pipeline's data-quality dataset; the governance dataset is written by the guardrail stage only.
import { GOVERNANCE_DATASET_ID } from '../domain/guardrails/governance-dataset';
import { PIPELINE_INGEST_DATASET } from '../domain/ingest/data-quality';
import {
  commitLogPartition,
  KEY_INDEX_PREFIX,
  MANIFEST_PREFIX,
  QUARANTINE_PREFIX,
  QUARANTINED_FILES_PREFIX,
  quarantineLogOf,
  RAW_PREFIX,
} from './raw-layout';

export { GOVERNANCE_DATASET_ID, PIPELINE_INGEST_DATASET };

/** The stage that writes each of the pipeline's own datasets; no other function may write them. */
export const PIPELINE_DATASET_OWNERS: Readonly<Record<string, 'ingestion' | 'guardrails'>> = {
  [PIPELINE_INGEST_DATASET]: 'ingestion',
  [GOVERNANCE_DATASET_ID]: 'guardrails',
};

/** Every key prefix of one dataset, in the raw bucket and in the quarantine bucket. Each ends with `/`. */
export function datasetStoragePrefixes(dataset: string): { readonly raw: string[]; readonly quarantine: string[] } {
  const part = `dataset=${dataset}/`;
  return {
    raw: [`${RAW_PREFIX}${part}`, `${MANIFEST_PREFIX}${part}`, `${KEY_INDEX_PREFIX}${part}`],
    quarantine: [`${QUARANTINE_PREFIX}${part}`, `${QUARANTINED_FILES_PREFIX}${part}`],
  };
}

/**
 * The partition keys of the state table that ingestion keeps for one dataset, as IAM `StringLike`
 * patterns: claims and completions (`INGEST#<id>`), late-data marks (`RECOMPUTE#<id>`), HTTP
 * watermarks (`WATERMARK#<id>`), the commit log (`COMMITS#<id>`, its days in the sort key) and the
 * heads of replaced sources (`SOURCE#<id>`). `X#<id>#*` follows each exact key, so no other dataset
 * whose id starts the same way is matched (`INGEST#ad*` would also match `INGEST#ad_performance`).
 */
export function ingestionStateKeys(dataset: string): string[] {
  const commits = commitLogPartition(dataset);
  const quarantineLog = commitLogPartition(quarantineLogOf(dataset));
  return [
    ...['INGEST', 'RECOMPUTE', 'WATERMARK', 'SOURCE'].flatMap((kind) => [`${kind}#${dataset}`, `${kind}#${dataset}#*`]),
    commits,
    `${commits}#*`,
    // The quarantine log of the dataset (`kpi replay`): which quarantined rows went back to raw.
    quarantineLog,
    `${quarantineLog}#*`,
  ];
}
