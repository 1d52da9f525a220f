import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/cdk/**/*.test.ts'],
    // Emulator-backed suites start servers and synthesize the app; give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One test file per core: most files wait on their emulators' sockets as much as they compute
    // (vitest's default leaves a core idle, which on a 2-core machine means one file at a time).
    maxWorkers: '100%',
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default'],
    // Handlers log warnings on purpose in failure tests; errors still show.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
