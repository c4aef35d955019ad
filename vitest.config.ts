import { defineConfig } from 'vitest/config';

/**
 * Two lanes. `unit`: fast, no external process. `integration`: against the real sandbox,
 * which `test/integration/global-setup.ts` brings up once (idempotent, reused across runs).
 * `npm run test:unit` runs the first alone; `npm test` runs both.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          // The sandbox is shared: test files run one at a time (2-core machines).
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
