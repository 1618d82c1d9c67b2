/** What route modules receive from `createApp`. */
import type { Context } from 'hono';
import type { PoolService } from '../core/pool-service.js';
import type { Clock, Logger, Storage } from '../core/ports.js';
import type { AdminAuth } from './admin-auth.js';
import type { ClientAuth } from './client-auth.js';
import type { ForwardPlan } from './forward-plan.js';
import type { Proxy } from './proxy.js';

export interface RouteDeps {
  service: PoolService;
  storage: Storage;
  proxy: Proxy;
  clientAuth: ClientAuth;
  adminAuth: AdminAuth;
  clock: Clock;
  logger: Logger;
  maxBodyBytes: number;
  flushMode: 'interval' | 'per-request';
  clientAddress: (req: Request, env: unknown) => string;
}

/** Variables set by the auth middleware. */
export interface AppVariables {
  accessTokenId: number | null;
}

export type AppEnv = { Variables: AppVariables };
export type AppContext = Context<AppEnv>;

/** Runs work after the response (Workers' `waitUntil`; a tracked set on Node). */
export function deferFor(c: AppContext): (work: Promise<unknown>) => void {
  const ctx = c.executionCtx;
  return (work) => ctx.waitUntil(work.catch(() => undefined));
}

/** The request-scoped parts of a forward plan. */
export function planBase(
  c: AppContext,
  deps: RouteDeps,
): Pick<ForwardPlan, 'accessTokenId' | 'clientSignal' | 'defer' | 'onFinished'> {
  const defer = deferFor(c);
  if (deps.service.isStale()) defer(deps.service.refresh());
  return {
    accessTokenId: c.get('accessTokenId'),
    clientSignal: c.req.raw.signal,
    defer,
    onFinished: deps.flushMode === 'per-request' ? () => deps.service.flush() : () => undefined,
  };
}
