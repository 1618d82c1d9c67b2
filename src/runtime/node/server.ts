/**
 * The Node runtime: SQLite or PostgreSQL storage, the undici upstream, the Hono app on @hono/node-server, a
 * flush timer, periodic maintenance and a graceful shutdown. `main.ts` calls this; tests do too.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { getRequestListener, RequestError, type HttpBindings } from '@hono/node-server';
import { redactSecrets } from '../../core/keys/redact.js';
import type { ExecutionContext } from 'hono';
import { createAesGcmCipher, plainCipher, sha256Hex } from '../../core/crypto.js';
import type { Logger } from '../../core/ports.js';
import { createGateway, jsonLogger, type Gateway } from '../../gateway.js';
import { OPENAI_CHAT } from '../../dialects/openai-chat/dialect.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { toResponse } from '../../forward/reply.js';
import { importEnvAccessTokens, importEnvKeys } from '../../setup.js';
import { createUndiciUpstream } from '../../upstream/undici.js';
import type { NodeSettings } from './env.js';
import { ensureFirstAccessToken, resolveAdminToken } from './first-start.js';
import { clientAddressOf } from './client-address.js';
import { createClientLane } from './client-lane.js';
import { createDiskPanelAssets } from './panel-assets.js';
import { openNodeStorage } from './open-storage.js';

const PANEL_DIR = fileURLToPath(new URL('../../../admin-ui/dist/', import.meta.url));
/** After the shutdown deadline cuts connections, how long their bookkeeping may take before the final flush. */
const SETTLE_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The server could not listen. Carries the credentials this start generated (first start only):
 * they are already stored, so the caller must still show them or they are lost.
 */
export class ListenError extends Error {
  constructor(
    readonly address: string,
    readonly code: string | undefined,
    readonly generated: RunningGateway['generated'],
  ) {
    super(
      code === 'EADDRINUSE'
        ? `${address} is already in use; set PORT (or HOST) to listen elsewhere`
        : `cannot listen on ${address} (${code ?? 'unknown error'}); check PORT and HOST`,
    );
  }
}

export interface RunningGateway {
  url: string;
  port: number;
  gateway: Gateway;
  /** Tokens generated at this start (first start only); shown once. */
  generated: { adminToken: string | null; accessToken: string | null };
  importedKeys: { added: number; duplicates: number; invalid: number };
  /** Stops accepting, waits for in-flight requests and streams (up to the deadline), flushes, closes. */
  shutdown(): Promise<void>;
}

export async function startNodeGateway(
  settings: NodeSettings,
  opts: { logger?: Logger; panelDir?: string } = {},
): Promise<RunningGateway> {
  const logger = opts.logger ?? jsonLogger;
  const cipher = settings.encryptionKey ? await createAesGcmCipher(settings.encryptionKey) : plainCipher;
  const database = await openNodeStorage(settings, { cipher });
  const { storage } = database;
  const now = Date.now();

  const importedKeys = await importEnvKeys(storage, settings.geminiApiKeys, now);
  await importEnvAccessTokens(storage, settings.accessTokens, now);
  const admin = await resolveAdminToken(storage, settings.adminToken);
  const accessToken = await ensureFirstAccessToken(storage, now);

  const upstream = createUndiciUpstream({
    origin: settings.upstreamBaseUrl,
    proxy: settings.proxy,
    connectTimeoutMs: settings.upstreamConnectTimeoutMs,
  });
  const gateway = await createGateway({
    storage,
    upstream,
    upstreamBaseUrl: settings.upstreamBaseUrl,
    adminTokenHash: admin.hash,
    metricsTokenHash: settings.metricsToken ? await sha256Hex(settings.metricsToken) : null,
    flushMode: 'interval',
    flushBatchRows: settings.flushBatchRows,
    maxBufferedUsageRows: settings.maxBufferedUsageRows,
    maxBodyBytes: settings.maxBodyBytes,
    // Token-limit reservations read in one event-loop turn share one SQLite transaction.
    tokenBatchWindow: (flush) => setImmediate(flush),
    clientAddress: (req, env) =>
      clientAddressOf(
        req.headers.get('x-forwarded-for'),
        (env as HttpBindings).incoming?.socket.remoteAddress,
        settings.trustProxy,
      ),
    panel: createDiskPanelAssets(opts.panelDir ?? PANEL_DIR),
    logRequests: settings.logRequests,
    publicBaseUrl: settings.publicBaseUrl,
    maxUploadBytes: settings.maxUploadBytes,
    trustProxy: settings.trustProxy,
    logger,
  });

  // Work deferred past the response (stream bookkeeping): graceful shutdown waits for it.
  const pending = new Set<Promise<unknown>>();
  const executionContext: ExecutionContext = {
    waitUntil(promise) {
      const tracked = promise.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    passThroughOnException() {},
    props: {},
  };
  const honoListener = getRequestListener((req, env) => gateway.app.fetch(req, env, executionContext), {
    // A body that fails mid-stream surfaces here; log it like everything else, redacted.
    errorHandler: (err) => {
      logger({ event: 'response_error', error: redactSecrets(String(err)).slice(0, 300) });
      // Returning nothing would leave the client waiting forever. A RequestError is a request
      // node-server could not turn into a URL (a backslash in the path, a bad Host): the client's fault.
      const bad = err instanceof RequestError;
      return toResponse(
        OPENAI_CHAT.errorReply(
          bad
            ? new GatewayError(400, 'Malformed request URL or Host header', 'bad_request')
            : new GatewayError(500, 'Internal gateway error', 'internal_error'),
        ),
      );
    },
  });
  const clientLane = createClientLane(gateway.clientApi, (work) => executionContext.waitUntil(work));
  // Counted until the response is fully written (or its connection dropped), not until the handler
  // returns: a stream's body is still being sent long after that.
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    if (!clientLane(req, res)) void honoListener(req, res);
  });
  server.listen(settings.port, settings.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (err) {
    await upstream.close().catch(() => undefined);
    await database.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new ListenError(`${settings.host}:${settings.port}`, code, {
      adminToken: admin.generated,
      accessToken,
    });
  }
  const port = (server.address() as AddressInfo).port;

  const flushTimer = setInterval(() => {
    gateway.service.flushWhenDue().catch(() => undefined);
  }, settings.flushIntervalMs);
  const refreshTimer = setInterval(() => {
    if (gateway.service.isStale()) gateway.service.refresh().catch(() => undefined);
  }, 1000);
  // Every gateway on the database runs the timer; the lease lets one of them do the work per interval.
  const lease = {
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    durationMs: settings.maintenanceIntervalMs,
  };
  let maintaining = false;
  const maintenanceTimer = setInterval(() => {
    if (maintaining) return;
    maintaining = true;
    const startedAt = Date.now();
    gateway
      .runClusterMaintenance(lease)
      .then(
        (report) =>
          report && logger({ event: 'maintenance', holder: lease.holder, started_at: startedAt, ...report }),
      )
      .catch((err: unknown) => logger({ event: 'maintenance_failed', error: String(err) }))
      .finally(() => (maintaining = false));
  }, settings.maintenanceIntervalMs);
  for (const timer of [flushTimer, refreshTimer, maintenanceTimer]) timer.unref();

  let stopping: Promise<void> | null = null;
  const shutdown = () => {
    stopping ??= (async () => {
      clearInterval(flushTimer);
      clearInterval(refreshTimer);
      clearInterval(maintenanceTimer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      const deadline = Date.now() + settings.shutdownTimeoutMs;
      // Polls on a timer: awaiting already-settled promises in a loop would starve the event loop
      // and stall the very requests being waited for.
      while ((inFlight > 0 || pending.size > 0) && Date.now() < deadline) await sleep(20);
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      // Streams cut at the deadline record their attempt as they are cancelled; let that land.
      const settleBy = Date.now() + SETTLE_MS;
      while ((inFlight > 0 || pending.size > 0) && Date.now() < settleBy) await sleep(10);
      await gateway
        .flush()
        .catch((err: unknown) => logger({ event: 'final_flush_failed', error: String(err) }));
      gateway.close();
      await upstream.close().catch(() => undefined);
      await database.close();
    })();
    return stopping;
  };

  return {
    url: `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`,
    port,
    gateway,
    generated: { adminToken: admin.generated, accessToken },
    importedKeys,
    shutdown,
  };
}
