import { defineConfig } from 'vitest/config';

// The adversarial suite: hostile inputs, kills at every phase, resends, reorders, corrupt and huge
// files, injected AWS faults, all against the real handlers on the emulators. Heavier than `npm test`,
// so it has its own script (`npm run test:adversarial`) that `.ci/run` runs after it.
export default defineConfig({
  test: {
    include: ['test/adversarial/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: '100%',
    globalSetup: ['test/support/global-setup.ts'],
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
