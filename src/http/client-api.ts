/**
 * The client API (OpenAI-compatible and native Gemini): route matching, access-token check and
 * the attempt loop, answering a plain `Reply`. Hono serves it on every runtime; the Node runtime
 * also calls it straight from `node:http` for requests that need nothing else (see
 * `src/runtime/node/client-lane.ts`).
 */
import type { PoolService } from '../core/pool-service.js';
import type { Clock, Logger } from '../core/ports.js';
import { presentedToken, type ClientAuth } from './client-auth.js';
import type { ClientRequest } from './client-request.js';
import { matchRoute, type RouteEntry, type RouteLimits, type RouteMatch } from './client-route.js';
import { GatewayError, gatewayErrorReply, type Dialect } from './errors.js';
import type { Proxy } from '../forward/proxy.js';
import type { Reply } from '../forward/reply.js';
import { GEMINI_ROUTES } from './routes/gemini.js';
import { GEMINI_RESOURCE_ROUTES, UPLOAD_ROUTES } from './routes/gemini-resources.js';
import type { ForwardPlan } from '../forward/forward-plan.js';
import type { ResourceOwnership } from '../core/resources/ownership.js';
import { planListing } from './resource-listing.js';
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
const GEMINI: Family = {
  prefix: '/v1beta/',
  dialect: 'gemini',
  googleStyle: true,
  routes: [...GEMINI_ROUTES, ...GEMINI_RESOURCE_ROUTES],
};
const UPLOAD: Family = {
  prefix: '/upload/v1beta/',
  dialect: 'gemini',
  googleStyle: true,
  routes: UPLOAD_ROUTES,
};

/** Collections below `/v1beta/` besides models. */
const RESOURCE_COLLECTIONS = ['files', 'cachedContents', 'batches', 'operations'];

/** The paths Hono hands to the client API, as Hono patterns. */
export const CLIENT_MOUNTS = [
  '/v1/*',
  '/v1beta/openai/*',
  '/v1beta/models',
  '/v1beta/models/*',
  ...RESOURCE_COLLECTIONS.flatMap((name) => [`/v1beta/${name}`, `/v1beta/${name}/*`]),
  '/upload/v1beta/files',
];

/** Every client endpoint as a method and a `/full/path/:param`: for the route-table security walk. */
export function clientEndpoints(): Array<{ method: string; path: string }> {
  return [OPENAI, OPENAI_ON_GEMINI, GEMINI, UPLOAD].flatMap((family) =>
    family.routes.map((entry) => ({ method: entry.method, path: family.prefix + entry.path })),
  );
}

const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Shared, so a matched request allocates no list. */
const NO_METHODS: readonly string[] = [];

function familyOf(path: string): Family | null {
  if (path.startsWith('/v1beta/openai/') || path === '/v1beta/openai') return OPENAI_ON_GEMINI;
  if (path.startsWith('/v1/') || path === '/v1') return OPENAI;
  if (path === '/v1beta/models' || path.startsWith('/v1beta/models/')) return GEMINI;
  if (path.startsWith('/v1beta/') && isResourcePath(path)) return GEMINI;
  if (path === '/upload/v1beta/files') return UPLOAD;
  return null;
}

function isResourcePath(path: string): boolean {
  const rest = path.slice('/v1beta/'.length);
  const slash = rest.indexOf('/');
  return RESOURCE_COLLECTIONS.includes(slash === -1 ? rest : rest.slice(0, slash));
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
  resources: ResourceOwnership;
  clock: Clock;
  /** Largest upload, over all its chunks. */
  maxUploadBytes: number;
  /** The gateway's public base URL (`PUBLIC_BASE_URL`); null: from the request. */
  publicBaseUrl: string | null;
  /** Read X-Forwarded-Proto/-Host for the public URL (behind a reverse proxy). */
  trustProxy: boolean;
}

export class ClientApi {
  private readonly onFinished: () => Promise<void> | void;

  private readonly limits: RouteLimits;

  constructor(private readonly deps: ClientApiDeps) {
    const { service, flushBatchRows } = deps;
    this.limits = { maxUploadBytes: deps.maxUploadBytes };
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
      const tokenId = await clientAuth.verify(token, req.defer);
      if (tokenId === null) throw new GatewayError(401, 'Invalid or revoked access token', 'invalid_token');
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
      const routed = await match.route.route(req, maxBodyBytes, match.route.param, this.limits);
      if (service.isStale()) req.defer(service.refresh());
      const plan: ForwardPlan = {
        ...routed,
        accessTokenId: tokenId,
        clientGone: req.gone,
        defer: req.defer,
        onFinished: this.onFinished,
      };
      const resolved =
        plan.resources?.length || plan.exchange ? await this.resolveResources(plan, req) : plan;
      if (!('dialect' in resolved)) return resolved;
      return await proxy.forward(resolved);
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

  /**
   * Routes a request that names resources to their owner (409 when they belong to different
   * projects), fills in what resource answers need, and applies upload affinity and merged
   * listing. Each costs at most one indexed read of the ownership table, and none for records
   * this process has seen.
   */
  private async resolveResources(plan: ForwardPlan, req: ClientRequest): Promise<ForwardPlan | Reply> {
    const { resources, service } = this.deps;
    const now = this.deps.clock.now();
    let out: ForwardPlan = plan.exchange
      ? {
          ...plan,
          context: {
            ownership: resources,
            accessTokenId: plan.accessTokenId,
            now,
            publicBase: this.publicBase(req),
          },
        }
      : plan;
    if (out.listing) return planListing(out, service.storage.resources, service.pool, now);
    if (out.affinity && out.accessTokenId !== null && service.config.resourceAffinityMs > 0) {
      const since = now - service.config.resourceAffinityMs;
      const keyId = await service.storage.resources.recentOwnerKey(out.accessTokenId, out.affinity, since);
      if (keyId !== null) out = { ...out, preferKeyId: keyId };
    }
    if (!out.resources || out.resources.length === 0) return out;
    const route = await resources.route(out.resources, service.pool);
    if (route.kind === 'conflict') {
      throw new GatewayError(
        409,
        `The request names resources of different projects, which no one key can use together: ${route.groups
          .map((names) => names.join(', '))
          .join(' vs ')}`.slice(0, 500),
        'resource_conflict',
      );
    }
    if (route.kind === 'any') {
      if (out.ownerRequired) {
        throw new GatewayError(404, 'Unknown or expired upload session', 'upload_not_found');
      }
      return out;
    }
    const upstream = route.records.find((r) => r.upstream !== null)?.upstream;
    return { ...out, owner: route.owner, ...(upstream ? { path: upstream } : {}) };
  }

  /** The gateway's own public base URL, as a client reaches it. */
  private publicBase(req: ClientRequest): string {
    if (this.deps.publicBaseUrl) return this.deps.publicBaseUrl;
    const forwarded = (name: string) =>
      this.deps.trustProxy ? req.header(name)?.split(',')[0]?.trim() : undefined;
    const proto = forwarded('x-forwarded-proto') || req.origin().split(':')[0];
    const host =
      forwarded('x-forwarded-host') || req.header('host') || req.origin().replace(/^[a-z]+:\/\//, '');
    return `${proto}://${host}`;
  }
}
