/**
 * The client API (every dialect): route matching, access-token check and the attempt loop,
 * answering a plain `Reply`. Hono serves it on every runtime; the Node runtime
 * also calls it straight from `node:http` for requests that need nothing else (see
 * `src/runtime/node/client-lane.ts`).
 */
import type { PoolService } from '../core/pool-service.js';
import type { Clock, Logger } from '../core/ports.js';
import type { ResourceOwnership } from '../core/resources/ownership.js';
import type { TokenRefusal } from '../core/tokens/token-policy.js';
import type { ForwardPlan } from '../forward/forward-plan.js';
import { planListing } from './resource-listing.js';
import { upstreamFileUris } from '../forward/resource-exchange.js';
import { GEMINI_RESOURCE_ROUTES, UPLOAD_ROUTES } from './routes/gemini-resources.js';
import { OPENAI_CHAT, OPENAI_CHAT_ON_GOOGLE_PATH } from '../dialects/openai-chat/dialect.js';
import { ANTHROPIC } from '../dialects/anthropic/dialect.js';
import { GEMINI_NATIVE } from '../dialects/gemini-native/dialect.js';
import type { Dialect, TokenPlaces } from '../forward/dialect.js';
import { GatewayError } from '../forward/gateway-error.js';
import type { Proxy } from '../forward/proxy.js';
import type { Reply } from '../forward/reply.js';
import { BEARER_ONLY, presentedToken, type ClientAuth } from './client-auth.js';
import type { ClientRequest } from './client-request.js';
import { chosenEntry, matchRoute, type RouteEntry, type RouteEnv, type RouteMatch } from './client-route.js';
import { ANTHROPIC_MODEL_ROUTES, ANTHROPIC_ROUTES, ANTHROPIC_VERSION } from './routes/anthropic.js';
import { GEMINI_ROUTES } from './routes/gemini.js';
import { OPENAI_ROUTES, OPENAI_ROUTES_ON_GOOGLE_PATH } from './routes/openai.js';
import { RESPONSES_ROUTES } from './routes/responses.js';

export interface ClientMatch {
  /** The matched route's dialect; for a path naming no route, its mount's. */
  dialect: Dialect;
  /** Null for a path under a client prefix that names no route for this method (a 404 or 405 once the token checks out). */
  route: RouteMatch | null;
  /** When `route` is null: the methods that path does take (empty when it names no route at all). */
  allow: readonly string[];
}

/** A path prefix the client API serves, and the dialect of what it answers for paths it has no route for. */
interface Mount {
  prefix: string;
  dialect: Dialect;
  routes: readonly RouteEntry[];
  /** First path segments below the prefix that belong to another dialect, for paths naming no route. */
  segments?: ReadonlyMap<string, Dialect>;
}

/** OpenAI's routes, whose model list and model answer Anthropic's clients in Anthropic's shape; then Anthropic's and the Responses API. */
const V1_ROUTES: readonly RouteEntry[] = [
  ...OPENAI_ROUTES.map((entry): RouteEntry => {
    if (entry.method !== 'GET') return entry;
    const anthropic = entry.path === 'models' ? ANTHROPIC_MODEL_ROUTES.list : ANTHROPIC_MODEL_ROUTES.get;
    return { ...entry, byHeader: { name: ANTHROPIC_VERSION, entry: anthropic } };
  }),
  ...ANTHROPIC_ROUTES,
  ...RESPONSES_ROUTES,
];

const V1: Mount = {
  prefix: '/v1/',
  dialect: OPENAI_CHAT,
  routes: V1_ROUTES,
  // An unknown path under `/v1/messages/` is an Anthropic client's: it gets Anthropic's error shape.
  segments: new Map([['messages', ANTHROPIC]]),
};
const OPENAI_ON_GOOGLE_PATH: Mount = {
  prefix: '/v1beta/openai/',
  dialect: OPENAI_CHAT_ON_GOOGLE_PATH,
  routes: OPENAI_ROUTES_ON_GOOGLE_PATH,
};
const GEMINI: Mount = {
  prefix: '/v1beta/',
  dialect: GEMINI_NATIVE,
  routes: [...GEMINI_ROUTES, ...GEMINI_RESOURCE_ROUTES],
};
const UPLOAD: Mount = { prefix: '/upload/v1beta/', dialect: GEMINI_NATIVE, routes: UPLOAD_ROUTES };

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
  return [V1, OPENAI_ON_GOOGLE_PATH, GEMINI, UPLOAD].flatMap((mount) =>
    mount.routes.map((entry) => ({ method: entry.method, path: mount.prefix + entry.path })),
  );
}

const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Shared, so a matched request allocates no list. */
const NO_METHODS: readonly string[] = [];

function mountOf(path: string): Mount | null {
  if (path.startsWith('/v1beta/openai/') || path === '/v1beta/openai') return OPENAI_ON_GOOGLE_PATH;
  if (path.startsWith('/v1/') || path === '/v1') return V1;
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

/**
 * The dialect a refusal outside any route is shaped in (an unknown path, a request Hono could not
 * route): Google's below `/v1beta/` (but for its OpenAI path), OpenAI's everywhere else.
 */
export function fallbackDialect(path: string): Dialect {
  const mount = mountOf(path);
  if (mount) return mountDialect(mount, path.slice(mount.prefix.length));
  return path.startsWith('/v1beta/') ? GEMINI_NATIVE : OPENAI_CHAT;
}

/** The client API a path belongs to, or null when the path is not the client API's. */
export function matchClientRequest(method: string, path: string): ClientMatch | null {
  const mount = mountOf(path);
  if (!mount) return null;
  const rest = path.slice(mount.prefix.length);
  const route = matchRoute(mount.routes, method, rest);
  return {
    dialect: route ? route.entry.dialect : mountDialect(mount, rest),
    route,
    allow: route
      ? NO_METHODS
      : ROUTE_METHODS.filter((other) => matchRoute(mount.routes, other, rest) !== null),
  };
}

function mountDialect(mount: Mount, rest: string): Dialect {
  if (!mount.segments) return mount.dialect;
  const slash = rest.indexOf('/');
  return mount.segments.get(slash === -1 ? rest : rest.slice(0, slash)) ?? mount.dialect;
}

function throwRefusal(refusal: TokenRefusal | null): void {
  if (!refusal) return;
  const { status, message, code, retryAfterSeconds } = refusal;
  throw new GatewayError(status, message, code, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
}

function missingTokenMessage(req: ClientRequest, places: TokenPlaces): string {
  if (places.xApiKey)
    return 'Missing access token: send x-api-key: <access token> or Authorization: Bearer <access token>';
  // A token these routes do not read, sent where Google's clients put it.
  if (!places.googleStyle && presentedToken(req, GOOGLE_STYLE) !== null) {
    return 'Missing access token: these routes take Authorization: Bearer <access token>; x-goog-api-key and ?key= are read only on /v1beta';
  }
  return 'Missing access token: send Authorization: Bearer <access token>';
}

const GOOGLE_STYLE: TokenPlaces = { ...BEARER_ONLY, googleStyle: true };

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
  /** Gemini's base URL, without a trailing slash. */
  upstreamBaseUrl: string;
}

export class ClientApi {
  private readonly onFinished: () => Promise<void> | void;
  private readonly env: RouteEnv;

  constructor(private readonly deps: ClientApiDeps) {
    const { service, flushBatchRows, maxBodyBytes } = deps;
    this.onFinished =
      deps.flushMode === 'per-request'
        ? () => service.flush()
        : () => service.flushIfBacklogged(flushBatchRows);
    this.env = {
      maxBodyBytes,
      maxUploadBytes: deps.maxUploadBytes,
      get config() {
        return service.config;
      },
    };
  }

  /** Answers a request `matchClientRequest` claimed. Never rejects: every failure is a reply. */
  async handle(req: ClientRequest, match: ClientMatch): Promise<Reply> {
    const entry = match.route ? chosenEntry(match.route.entry, req) : null;
    const dialect = entry ? entry.dialect : match.dialect;
    try {
      const { clientAuth, service, proxy } = this.deps;
      const token = presentedToken(req, dialect.token);
      if (token === null)
        throw new GatewayError(401, missingTokenMessage(req, dialect.token), 'missing_token');
      const verified = clientAuth.verify(token, req.defer);
      const access = verified instanceof Promise ? await verified : verified;
      if (access === null) throw new GatewayError(401, 'Invalid or revoked access token', 'invalid_token');
      const credential = service.tokens.checkCredential(access);
      if (credential) service.metrics.recordTokenRequest(access, credential.code);
      throwRefusal(credential);
      if (!entry && match.allow.length > 0) {
        throw new GatewayError(
          405,
          `${req.method} is not allowed on ${req.path.slice(0, 200)}; use ${match.allow.join(' or ')}`,
          'method_not_allowed',
          { allow: [...match.allow] },
        );
      }
      if (!entry) {
        throw new GatewayError(404, `No route ${req.method} ${req.path.slice(0, 200)}`, 'not_found');
      }
      const routed = await entry.route(req, this.env, (match.route as RouteMatch).param);
      // Before the pick, in one place for every dialect: the refusal renders in the route's own shape.
      const admitted = service.tokens.admit(access, routed.model);
      const refusal = admitted instanceof Promise ? await admitted : admitted;
      service.metrics.recordTokenRequest(access, refusal?.code ?? 'admitted');
      throwRefusal(refusal);
      if (service.isStale()) req.defer(service.refresh());
      const plan: ForwardPlan = {
        ...routed,
        dialect,
        accessTokenId: access.id,
        keyGroup: access.keyGroup,
        clientGone: req.gone,
        defer: req.defer,
        onFinished: this.onFinished,
      };
      const resolved =
        plan.resources?.length || plan.exchange ? await this.resolveResources(plan, req) : plan;
      if (!('dialect' in resolved)) return resolved;
      return await proxy.forward(resolved);
    } catch (err) {
      if (err instanceof GatewayError) return dialect.errorReply(err);
      this.deps.logger({
        event: 'unhandled_error',
        path: req.path.slice(0, 200),
        error: String(err).slice(0, 500),
      });
      return dialect.errorReply(new GatewayError(500, 'Internal gateway error', 'internal_error'));
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
            upstreamBase: this.deps.upstreamBaseUrl,
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
      const groups = route.groups.map((names) => names.join(', ')).join(' vs ');
      throw new GatewayError(
        409,
        `The request names resources of different projects, which no one key can use together: ${groups}`.slice(
          0,
          500,
        ),
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
    out = { ...out, owner: route.owner, ...(upstream ? { path: upstream } : {}) };
    // Clients hold file URIs on the gateway's host (answers are rewritten so): Gemini takes its own.
    if (out.body instanceof Uint8Array && out.resources!.some((name) => name.startsWith('files/'))) {
      out = { ...out, body: upstreamFileUris(out.body, this.deps.upstreamBaseUrl) };
    }
    return out;
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
