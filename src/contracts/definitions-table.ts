// Contract between the CDK app and the runtime: how the definitions table keys each kind of
// versioned definition, so that a grant can name exactly the items a function may read.

/** Partition prefix of a dataset declaration's items, and of its pointer in the status index (`gsi1pk`). */
export const DATASET_PARTITION_PREFIX = 'DATASET#';

/** The status-index partitions of dataset pointers: what ingestion queries to find the declarations in force. */
export const DATASET_STATUS_KEYS = [`${DATASET_PARTITION_PREFIX}active`, `${DATASET_PARTITION_PREFIX}retired`] as const;
