/** What route modules receive from `createApp`. */
import type { Context } from 'hono';
import type { BlankEnv } from 'hono/types';
import type { PoolService } from '../core/pool-service.js';
import type { Clock, Logger, Storage } from '../core/ports.js';
import type { AdminAuth } from './admin-auth.js';
import type { ClientAuth } from './client-auth.js';

export interface RouteDeps {
  service: PoolService;
  storage: Storage;
  clientAuth: ClientAuth;
  adminAuth: AdminAuth;
  clock: Clock;
  logger: Logger;
  maxBodyBytes: number;
  clientAddress: (req: Request, env: unknown) => string;
}

export type AppEnv = BlankEnv;
export type AppContext = Context<AppEnv>;

/** Runs work after the response (Workers' `waitUntil`; a tracked set on Node). */
export function deferFor(c: AppContext): (work: Promise<unknown>) => void {
  const ctx = c.executionCtx;
  return (work) => ctx.waitUntil(work.catch(() => undefined));
}
