/**
 * The composition root shared by both runtimes: given storage, an upstream client and a few
 * settings, it builds the pool service and the Hono app. Runtime entries (src/runtime/*) only
 * construct adapters and call this.
 */
import type { Hono } from 'hono';
import type { Clock, Logger, Random, Storage, Upstream } from './core/ports.js';
import {
  runLeasedMaintenance,
  runOpsMaintenance,
  type MaintenanceLease,
  type OpsMaintenanceReport,
} from './core/ops/maintenance.js';
import { KeyChecker } from './core/ops/validate.js';
import { PoolService } from './core/pool-service.js';
import type { BatchWindow } from './core/tokens/token-policy.js';
import { createApp, type PanelAssets } from './http/app.js';
import type { AppEnv } from './http/context.js';
import { AdminAuth } from './http/admin-auth.js';
import { ClientApi } from './http/client-api.js';
import { ClientAuth } from './http/client-auth.js';
import { Proxy } from './forward/proxy.js';
import { ResourceOwnership } from './core/resources/ownership.js';

export interface GatewayOptions {
  storage: Storage;
  upstream: Upstream;
  /** e.g. `https://generativelanguage.googleapis.com`, without a trailing slash. */
  upstreamBaseUrl: string;
  /** SHA-256 hex of the admin token (from `ADMIN_TOKEN`, or the generated one stored in meta). */
  adminTokenHash: string | null;
  /** An optional separate token for `GET /metrics`. */
  metricsTokenHash?: string | null;
  /**
   * `interval`: a runtime timer calls `flush()` (Node). `per-request`: each request defers its own
   * flush through `executionCtx.waitUntil` (Workers).
   */
  flushMode: 'interval' | 'per-request';
  /**
   * `interval` only: a flush also starts once this many writes are buffered, so that under heavy
   * traffic no single flush holds the event loop for long (better-sqlite3 is synchronous).
   */
  flushBatchRows?: number;
  /** Usage rows kept in memory while storage fails (default 100,000); beyond it new rows are dropped and counted. */
  maxBufferedUsageRows?: number;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes?: number;
  /** Largest upload through the Files API, over all its chunks (default 2 GB, Google's per-file limit). */
  maxUploadBytes?: number;
  /** The gateway's public base URL, for the upload URLs it hands out; null: from each request. */
  publicBaseUrl?: string | null;
  /** Behind a reverse proxy: X-Forwarded-Proto and -Host give the public URL. */
  trustProxy?: boolean;
  /** The client's address, for slowing down repeated failed admin sign-ins. */
  clientAddress?: (req: Request, env: unknown) => string;
  panel?: PanelAssets;
  /** One JSON log line per proxied request (route, model, key id, attempts, status, latency, tokens). */
  logRequests?: boolean;
  /**
   * When token-limit reservations that arrive together are written in one transaction; Node passes
   * `setImmediate` (everything read in one event-loop turn); by default each is written at once.
   */
  tokenBatchWindow?: BatchWindow;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

export interface Gateway {
  app: Hono<AppEnv>;
  /** The client API on its own, for a runtime that serves it without going through `app`. */
  clientApi: ClientApi;
  service: PoolService;
  /** Checks keys upstream (`POST /admin/api/keys/validate`, the scheduled re-check). */
  checker: KeyChecker;
  /** Writes buffered usage, counters and key state changes in one transaction. */
  flush(): Promise<void>;
  /**
   * The periodic job: expired cooldowns and disables, error-count resets, hourly usage rollups,
   * usage retention, local-limit counts, and the re-check of auto-disabled keys when due.
   */
  runMaintenance(): Promise<OpsMaintenanceReport>;
  /**
   * `runMaintenance` when this process holds (or takes) the cluster-wide maintenance lease; null
   * when another process holds it. For runtimes where every process runs the timer (Node).
   */
  runClusterMaintenance(lease: MaintenanceLease): Promise<OpsMaintenanceReport | null>;
  /** Stops following the storage's change feed. Flush before; the storage is the runtime's to close. */
  close(): void;
}

/**
 * With interval flushing, key state changes (cooldowns, disables) are written this soon on their
 * own, so every gateway on the same database honours them within a second; counters keep the interval.
 */
const STATE_FLUSH_DELAY_MS = 20;

/** Google's limit per file. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandom: Random = { next: () => Math.random() };
export const jsonLogger: Logger = (entry) => console.log(JSON.stringify(entry));

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? jsonLogger;
  const service = new PoolService({
    storage: opts.storage,
    clock,
    random: opts.random ?? systemRandom,
    logger,
    tokenBatchWindow: opts.tokenBatchWindow,
    // Per-request flushing (Workers) writes state changes with each request already.
    stateFlushDelayMs: opts.flushMode === 'interval' ? STATE_FLUSH_DELAY_MS : undefined,
    maxBufferedUsage: opts.maxBufferedUsageRows,
  });
  await service.init();
  const upstreamBaseUrl = opts.upstreamBaseUrl.replace(/\/+$/, '');
  const checker = new KeyChecker({ service, upstream: opts.upstream, upstreamBaseUrl });
  const clientAuth = new ClientAuth(opts.storage.tokens, clock);
  // Another gateway changed or revoked a token: forget cached verdicts instead of waiting out their TTL.
  const stopTokenNotices = opts.storage.changes?.subscribe((change) => {
    if (change === 'tokens') clientAuth.invalidate();
  });
  const maxBodyBytes = opts.maxBodyBytes ?? 20 * 1024 * 1024;
  const proxy = new Proxy({
    service,
    upstream: opts.upstream,
    upstreamBaseUrl,
    clock,
    logger,
    logRequests: opts.logRequests ?? false,
  });
  const clientApi = new ClientApi({
    service,
    proxy,
    clientAuth,
    logger,
    maxBodyBytes,
    flushMode: opts.flushMode,
    flushBatchRows: opts.flushBatchRows ?? Infinity,
    resources: new ResourceOwnership({ store: opts.storage.resources, clock }),
    clock,
    maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    publicBaseUrl: opts.publicBaseUrl?.replace(/\/+$/, '') || null,
    trustProxy: opts.trustProxy ?? false,
    upstreamBaseUrl,
  });
  const app = createApp({
    service,
    clientApi,
    checker,
    clientAuth,
    adminAuth: new AdminAuth({
      adminTokenHash: opts.adminTokenHash,
      metricsTokenHash: opts.metricsTokenHash ?? null,
      clock,
    }),
    maxBodyBytes,
    clientAddress: opts.clientAddress ?? (() => 'unknown'),
    panel: opts.panel ?? null,
    storage: opts.storage,
    clock,
    logger,
  });
  return {
    app,
    clientApi,
    service,
    checker,
    flush: () => service.flush(),
    runMaintenance: () => runOpsMaintenance({ service, checker, clock, logger }),
    runClusterMaintenance: (lease) => runLeasedMaintenance({ service, checker, clock, logger, lease }),
    close() {
      service.close();
      stopTokenNotices?.();
    },
  };
}
