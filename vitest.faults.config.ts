import { defineConfig } from 'vitest/config';

/** `npm run test:faults`: the fault scenarios, one at a time (each runs its own redis-server and pintu processes). */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
