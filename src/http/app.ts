/**
 * `createApp(deps)`: the one place routes, authentication and error handling are wired. It never
 * asks which runtime it is on; runtimes differ only in the dependencies they pass.
 */
import { Hono, type Handler, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { KeyChecker } from '../core/ops/validate.js';
import type { PoolService } from '../core/pool-service.js';
import type { Clock, Logger, Storage } from '../core/ports.js';
import type { AdminAuth } from './admin-auth.js';
import { CLIENT_MOUNTS, fallbackDialect, matchClientRequest, type ClientApi } from './client-api.js';
import { BEARER_ONLY, presentedToken, type ClientAuth } from './client-auth.js';
import { webClientRequest } from './client-request.js';
import { deferFor, type AppEnv, type RouteDeps } from './context.js';
import { GatewayError } from '../forward/gateway-error.js';
import { toResponse } from '../forward/reply.js';
import { adminKeyRoutes } from './routes/admin-keys.js';
import { adminSettingsRoutes } from './routes/admin-settings.js';
import { adminTokenRoutes } from './routes/admin-tokens.js';
import { adminStatsRoutes } from './routes/admin-stats.js';
import { adminValidateRoutes } from './routes/admin-validate.js';
import { metricsRoutes } from './routes/metrics.js';

/** The built panel (admin-ui/dist): `path` is relative to `/admin/`, e.g. `index.html`. */
export interface PanelAssets {
  get(path: string): Promise<Response | null>;
}

export interface AppDeps {
  service: PoolService;
  storage: Storage;
  clientApi: ClientApi;
  checker: KeyChecker;
  clientAuth: ClientAuth;
  adminAuth: AdminAuth;
  maxBodyBytes: number;
  clientAddress: (req: Request, env: unknown) => string;
  panel: PanelAssets | null;
  clock: Clock;
  logger: Logger;
}

/** On every admin and metrics answer, refusals included: never cached, never sniffed. */
const ADMIN_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const routeDeps: RouteDeps = deps;
  const app = new Hono<AppEnv>();

  const adminAuth = (alsoMetrics: boolean): MiddlewareHandler<AppEnv> =>
    async function requireAdminToken(c, next) {
      const verdict = await deps.adminAuth.verify(
        presentedToken({ header: (name) => c.req.raw.headers.get(name), query: '' }, BEARER_ONLY),
        deps.clientAddress(c.req.raw, c.env),
        alsoMetrics,
      );
      if (verdict.ok) {
        for (const [name, value] of Object.entries(ADMIN_HEADERS)) c.header(name, value);
        await next();
        return;
      }
      if (verdict.reason === 'not-configured') {
        throw new GatewayError(
          503,
          'No admin token is configured: set ADMIN_TOKEN (on Workers: wrangler secret put ADMIN_TOKEN)',
          'admin_not_configured',
        );
      }
      if (verdict.reason === 'locked') {
        throw new GatewayError(
          429,
          'Too many failed sign-ins; wait before trying again',
          'too_many_attempts',
          {
            retryAfterSeconds: verdict.retryAfterSeconds,
          },
        );
      }
      throw new GatewayError(401, 'Invalid admin token', 'invalid_admin_token');
    };

  // Degraded still answers 200: the gateway serves from its snapshot and buffers writes, so a load
  // balancer should keep it. 503 only before any snapshot was loaded.
  app.get('/healthz', async (c) => {
    const database = await deps.storage.ping().catch(() => false);
    const { service } = deps;
    const health = service.health();
    const reasons: string[] = [];
    if (!database) reasons.push('database_unreachable');
    if (health.writes.failingSince !== null) reasons.push('flush_failing');
    if (health.changeFeed === 'down') reasons.push('change_feed_down');
    return c.json(
      {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        database,
        keys: service.pool.size,
        usable_keys: service.pool.usableCount(null),
        pending_writes: health.pendingWrites,
        change_feed: health.changeFeed,
        ...(reasons.length > 0 ? { reasons } : {}),
        ...(health.writes.failingSince !== null
          ? { flush_failing_since: new Date(health.writes.failingSince).toISOString() }
          : {}),
      },
      service.hasSnapshot ? 200 : 503,
    );
  });

  // Browser-based clients (chat web UIs) call the client API cross-origin. Tokens travel in headers,
  // never cookies, so allowing any origin grants nothing a script could not already do with the token.
  // The admin API gets no CORS at all.
  const clientCors = cors({
    origin: '*',
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // A browser's upload client reads the session URL and status from the start answer.
    exposeHeaders: ['x-goog-upload-url', 'x-goog-upload-status', 'x-goog-upload-chunk-granularity'],
    // Requested headers are echoed back: SDKs send their own (x-stainless-*, x-goog-api-client).
    maxAge: 86400,
  });
  // Only browsers send Origin; skipping the middleware otherwise keeps the proxied response untouched
  // (setting a header on it would make Hono rebuild it).
  const corsForBrowsers: MiddlewareHandler<AppEnv> = (c, next) =>
    c.req.header('origin') === undefined ? next() : clientCors(c, next);
  const serveClient: Handler<AppEnv> = async (c) => {
    // Hono routes HEAD like GET and drops the body itself.
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const match = matchClientRequest(method, c.req.path);
    if (!match) return c.notFound();
    const req = webClientRequest(c.req.raw, c.req.path, deferFor(c));
    return toResponse(await deps.clientApi.handle(req, match));
  };
  for (const path of CLIENT_MOUNTS) {
    app.use(path, corsForBrowsers);
    app.all(path, serveClient);
  }

  app.use('/metrics', adminAuth(true));
  app.route('/metrics', metricsRoutes(routeDeps));

  app.use('/admin/api/*', adminAuth(false));
  app.route('/admin/api/keys/validate', adminValidateRoutes({ ...routeDeps, checker: deps.checker }));
  app.route('/admin/api/keys', adminKeyRoutes(routeDeps));
  app.route('/admin/api', adminSettingsRoutes(routeDeps));
  app.route('/admin/api', adminTokenRoutes(routeDeps));
  app.route('/admin/api', adminStatsRoutes(routeDeps));

  const servePanel = async (path: string): Promise<Response> => {
    const asset = deps.panel ? await deps.panel.get(path) : null;
    if (asset) return asset;
    // The panel routes with `#/…`, so any other path is simply not one of its files.
    if (path !== 'index.html') throw new GatewayError(404, 'Not found', 'not_found');
    return new Response('The admin panel is not built. Run: npm run build:panel', {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  };
  app.get('/admin', (c) => c.redirect('/admin/', 301));
  app.get('/admin/', () => servePanel('index.html'));
  app.get('/admin/*', (c) => {
    const rest = c.req.path.slice('/admin/'.length);
    // `..` can only be a traversal attempt here (URLs arrive normalised, so it was encoded): not found.
    if (rest.startsWith('api/') || rest.includes('..'))
      throw new GatewayError(404, `No route ${c.req.method} ${c.req.path.slice(0, 200)}`, 'not_found');
    return servePanel(rest);
  });

  app.notFound((c) =>
    toResponse(
      fallbackDialect(c.req.path).errorReply(
        new GatewayError(404, `No route ${c.req.method} ${c.req.path.slice(0, 200)}`, 'not_found'),
      ),
    ),
  );

  app.onError((err, c) => {
    const path = c.req.path;
    if (!(err instanceof GatewayError)) {
      deps.logger({ event: 'unhandled_error', path: path.slice(0, 200), error: String(err).slice(0, 500) });
    }
    const res = toResponse(
      fallbackDialect(path).errorReply(
        err instanceof GatewayError ? err : new GatewayError(500, 'Internal gateway error', 'internal_error'),
      ),
    );
    if (path.startsWith('/admin') || path === '/metrics') {
      for (const [name, value] of Object.entries(ADMIN_HEADERS)) res.headers.set(name, value);
    }
    return res;
  });

  return app;
}
