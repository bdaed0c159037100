import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'adapters/**/*.test.ts', 'src/**/*.test.ts', 'queues/**/*.test.ts'],
    exclude: ['test/faults/**', 'node_modules/**'],
    // One real redis-server for the whole run; every test file uses its own key prefix.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
