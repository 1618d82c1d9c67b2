/**
 * The client API (OpenAI-compatible and native Gemini): route matching, access-token check and
 * the attempt loop, answering a plain `Reply`. Hono serves it on every runtime; the Node runtime
 * also calls it straight from `node:http` for requests that need nothing else (see
 * `src/runtime/node/client-lane.ts`).
 */
import type { PoolService } from '../core/pool-service.js';
import type { Logger } from '../core/ports.js';
import type { TokenRefusal } from '../core/tokens/token-policy.js';
import { presentedToken, type ClientAuth } from './client-auth.js';
import type { ClientRequest } from './client-request.js';
import { matchRoute, type RouteEntry, type RouteMatch } from './client-route.js';
import { GatewayError, gatewayErrorReply, type Dialect } from './errors.js';
import type { Proxy } from '../forward/proxy.js';
import type { Reply } from '../forward/reply.js';
import { GEMINI_ROUTES } from './routes/gemini.js';
import { OPENAI_ROUTES } from './routes/openai.js';

export interface ClientMatch {
  dialect: Dialect;
  /** Whether the token may also come in `x-goog-api-key` or `?key=`, as Google's clients send it. */
  googleStyle: boolean;
  /** Null for a path under a client prefix that names no route for this method (a 404 or 405 once the token checks out). */
  route: RouteMatch | null;
  /** When `route` is null: the methods that path does take (empty when it names no route at all). */
  allow: readonly string[];
}

interface Family {
  prefix: string;
  dialect: Dialect;
  googleStyle: boolean;
  routes: readonly RouteEntry[];
}

const OPENAI: Family = { prefix: '/v1/', dialect: 'openai', googleStyle: false, routes: OPENAI_ROUTES };
const OPENAI_ON_GEMINI: Family = {
  prefix: '/v1beta/openai/',
  dialect: 'openai',
  googleStyle: true,
  routes: OPENAI_ROUTES,
};
const GEMINI: Family = { prefix: '/v1beta/', dialect: 'gemini', googleStyle: true, routes: GEMINI_ROUTES };

/** The paths Hono hands to the client API, as Hono patterns. */
export const CLIENT_MOUNTS = ['/v1/*', '/v1beta/openai/*', '/v1beta/models', '/v1beta/models/*'];

/** Every client endpoint as a method and a `/full/path/:param`: for the route-table security walk. */
export function clientEndpoints(): Array<{ method: string; path: string }> {
  return [OPENAI, OPENAI_ON_GEMINI, GEMINI].flatMap((family) =>
    family.routes.map((entry) => ({ method: entry.method, path: family.prefix + entry.path })),
  );
}

const ROUTE_METHODS = ['GET', 'POST'] as const;
/** Shared, so a matched request allocates no list. */
const NO_METHODS: readonly string[] = [];

function familyOf(path: string): Family | null {
  if (path.startsWith('/v1beta/openai/') || path === '/v1beta/openai') return OPENAI_ON_GEMINI;
  if (path.startsWith('/v1/') || path === '/v1') return OPENAI;
  if (path === '/v1beta/models' || path.startsWith('/v1beta/models/')) return GEMINI;
  return null;
}

/** The client API a path belongs to, or null when the path is not the client API's. */
export function matchClientRequest(method: string, path: string): ClientMatch | null {
  const family = familyOf(path);
  if (!family) return null;
  const rest = path.slice(family.prefix.length);
  const route = matchRoute(family.routes, method, rest);
  return {
    dialect: family.dialect,
    googleStyle: family.googleStyle,
    route,
    allow: route
      ? NO_METHODS
      : ROUTE_METHODS.filter((other) => matchRoute(family.routes, other, rest) !== null),
  };
}

function throwRefusal(refusal: TokenRefusal | null): void {
  if (!refusal) return;
  const { status, message, code, retryAfterSeconds } = refusal;
  throw new GatewayError(status, message, code, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
}

export interface ClientApiDeps {
  service: PoolService;
  proxy: Proxy;
  clientAuth: ClientAuth;
  logger: Logger;
  maxBodyBytes: number;
  /** `per-request`: each request defers its own flush once finished (Workers). */
  flushMode: 'interval' | 'per-request';
  /** `interval`: a finished request also starts a flush once this many writes are buffered. */
  flushBatchRows: number;
}

export class ClientApi {
  private readonly onFinished: () => Promise<void> | void;

  constructor(private readonly deps: ClientApiDeps) {
    const { service, flushBatchRows } = deps;
    this.onFinished =
      deps.flushMode === 'per-request'
        ? () => service.flush()
        : () => service.flushIfBacklogged(flushBatchRows);
  }

  /** Answers a request `matchClientRequest` claimed. Never rejects: every failure is a reply. */
  async handle(req: ClientRequest, match: ClientMatch): Promise<Reply> {
    try {
      const { clientAuth, service, proxy, maxBodyBytes } = this.deps;
      const token = presentedToken(req, match.googleStyle);
      if (token === null) {
        // A token these routes do not read, sent where Google's clients put it.
        const googleStyleSent = !match.googleStyle && presentedToken(req, true) !== null;
        throw new GatewayError(
          401,
          googleStyleSent
            ? 'Missing access token: these routes take Authorization: Bearer <access token>; x-goog-api-key and ?key= are read only on /v1beta'
            : 'Missing access token: send Authorization: Bearer <access token>',
          'missing_token',
        );
      }
      const access = await clientAuth.verify(token, req.defer);
      if (access === null) throw new GatewayError(401, 'Invalid or revoked access token', 'invalid_token');
      const credential = service.tokens.checkCredential(access);
      if (credential) service.metrics.recordTokenRequest(access, credential.code);
      throwRefusal(credential);
      if (!match.route && match.allow.length > 0) {
        throw new GatewayError(
          405,
          `${req.method} is not allowed on ${req.path.slice(0, 200)}; use ${match.allow.join(' or ')}`,
          'method_not_allowed',
          { allow: [...match.allow] },
        );
      }
      if (!match.route) {
        throw new GatewayError(404, `No route ${req.method} ${req.path.slice(0, 200)}`, 'not_found');
      }
      const plan = await match.route.route(req, maxBodyBytes, match.route.param);
      // Before the pick, in one place for every dialect: the refusal renders in the route's own shape.
      const refusal = await service.tokens.admit(access, plan.model);
      service.metrics.recordTokenRequest(access, refusal?.code ?? 'admitted');
      throwRefusal(refusal);
      if (service.isStale()) req.defer(service.refresh());
      return await proxy.forward({
        ...plan,
        accessTokenId: access.id,
        keyGroup: access.keyGroup,
        clientGone: req.gone,
        defer: req.defer,
        onFinished: this.onFinished,
      });
    } catch (err) {
      if (err instanceof GatewayError) return gatewayErrorReply(match.dialect, err);
      this.deps.logger({
        event: 'unhandled_error',
        path: req.path.slice(0, 200),
        error: String(err).slice(0, 500),
      });
      return gatewayErrorReply(
        match.dialect,
        new GatewayError(500, 'Internal gateway error', 'internal_error'),
      );
    }
  }
}
