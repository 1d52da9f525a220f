// Test support: records written into the raw store as ingestion lays them out, so compute tests do
// not depend on a connector (src/local/raw-import.ts).
export {
  importRawBatch as putRawBatch,
  type RawBatch,
  type RawStoreTarget,
  rawStoreOf,
} from '../../src/local/raw-import';
