import { defineConfig } from 'vitest/config';

// Unit + integration tests (real Redis and PostgreSQL on 127.0.0.1). e2e lives in vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
