import { defineConfig } from 'vitest/config';

// PIRI_DB_TEST_REPORT=<file> adds vitest's JSON report (CI reads its pass/fail counts from it).
const report = process.env.PIRI_DB_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : undefined,
  },
});
