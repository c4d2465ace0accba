import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/setup-failure-logs.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: RSA-4096 key generation and peers are CPU-bound.
    maxWorkers: 2,
  },
});
