import { defineConfig } from 'vitest/config';

// The suite over the public datasets in ../shared/datasets (or KPI_DATASETS_DIR). `.ci/run` runs it
// after `npm test`; it fails loudly when the folder is missing.
export default defineConfig({
  test: {
    include: ['test/datasets/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
