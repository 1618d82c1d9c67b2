import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import type {} from 'vitest';
import { defineConfig } from 'vitest/config';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/worker/global-setup.ts: the mock Gemini upstream's base URL. */
    mockGeminiUrl: string;
  }
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'admin-ui/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'node_modules/**'],
          // One throwaway PostgreSQL cluster for the run (skipped with a note when not installed).
          globalSetup: ['test/support/postgres-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Inside workerd, against the Worker entry and a real (local) D1.
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            main: './src/runtime/worker/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // The built panel may not exist in a fresh checkout; a fixture stands in for it.
              assets: { directory: './test/worker/fixtures/panel', binding: 'ASSETS' },
              // An empty D1 for migration tests that start from an older schema.
              d1Databases: ['MIGRATION_DB'],
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations('migrations'),
                MOCK_GEMINI_URL: inject('mockGeminiUrl'),
                UPSTREAM_BASE_URL: inject('mockGeminiUrl'),
                ADMIN_TOKEN: 'worker-test-admin-token',
                ACCESS_TOKENS: 'worker-test-access-token',
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          globalSetup: ['test/worker/global-setup.ts'],
          setupFiles: ['test/worker/apply-migrations.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
