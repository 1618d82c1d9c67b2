// Bindings the worker test project adds on top of the Worker's own (vitest.config.ts, project `worker`).
import type { D1Migration } from 'cloudflare:test';
import type { Env as WorkerEnv } from '../../src/runtime/worker/env.js';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** An empty D1 (no migrations applied), for migration tests. */
      MIGRATION_DB: D1Database;
      /** The mock upstream's base URL, also passed as `UPSTREAM_BASE_URL`. */
      MOCK_GEMINI_URL: string;
    }
  }
}
