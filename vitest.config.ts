import { defineConfig } from 'vitest/config';

/**
 * One config for the whole suite. Each test file runs in its own forked process (pool forks, isolated),
 * which the local stack needs: it owns process.env and one dynalite per data dir. Two files at a time
 * fit the 2-core CI machine.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'functions/**/*.test.ts', 'agent/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/.driftwatch/**', '**/cdk.out/**'],
    pool: 'forks',
    isolate: true,
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
