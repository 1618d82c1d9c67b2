/**
 * The Worker's handlers. One gateway per isolate, created on the first request: its key snapshot
 * lives in memory, so a warm request picks a key without touching D1.
 */
import type { Clock, Logger } from '../../core/ports.js';
import { jsonLogger, systemClock, type Gateway } from '../../gateway.js';
import { openaiErrorBody } from '../../dialects/openai-chat/errors.js';
import type { Env } from './env.js';
import { startGateway } from './startup.js';

/** What tests may replace; the deployed Worker uses the defaults. */
export interface WorkerDeps {
  /** The D1 database to use (default `env.LOG`); tests wrap it to count queries. */
  database?: (env: Env) => D1Database;
  fetch?: typeof fetch;
  clock?: Clock;
  logger?: Logger;
}

export interface WorkerHandlers {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>;
}

function startupErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/no such table/i.test(message)) {
    return `The gateway could not start: the D1 database has no tables (${message}). Apply the migrations: npx wrangler d1 migrations apply apikeys-pool --remote`;
  }
  return `The gateway could not start: ${message}`;
}

/** Builds the `fetch` and `scheduled` handlers around a lazily created, per-isolate gateway. */
export function createWorker(deps: WorkerDeps = {}): WorkerHandlers {
  const logger = deps.logger ?? jsonLogger;
  const startupDeps = {
    database: deps.database ?? ((env: Env) => env.LOG),
    // Bound late, so a test that replaces globalThis.fetch is honoured.
    fetch: deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init)),
    clock: deps.clock ?? systemClock,
    logger,
  };
  let starting: Promise<Gateway> | null = null;

  /** One creation in flight per isolate; a failed one is forgotten so the next request retries. */
  function gatewayFor(env: Env): Promise<Gateway> {
    starting ??= startGateway(env, startupDeps).catch((err: unknown) => {
      starting = null;
      throw err;
    });
    return starting;
  }

  return {
    async fetch(request, env, ctx) {
      let gateway: Gateway;
      try {
        gateway = await gatewayFor(env);
      } catch (err) {
        const message = startupErrorMessage(err);
        logger({ event: 'startup_failed', error: message });
        return Response.json(openaiErrorBody(503, message, 'gateway_unavailable'), { status: 503 });
      }
      return gateway.app.fetch(request, env, ctx);
    },

    async scheduled(controller, env) {
      const gateway = await gatewayFor(env);
      const report = await gateway.runMaintenance();
      logger({ event: 'maintenance', cron: controller.cron, ...report });
    },
  };
}
