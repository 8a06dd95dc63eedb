import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests start real servers on 127.0.0.1; two cores do not gain from more forks.
    pool: 'forks',
    maxWorkers: 2,
  },
});
