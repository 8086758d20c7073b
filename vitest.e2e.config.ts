import { defineConfig } from 'vitest/config';

// End-to-end: real drachtio-server + FreeSWITCH + SIPp, selected by environment variables (see README).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
