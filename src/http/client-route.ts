/** What a client API route is, and the small table matcher every mount uses. */
import type { PoolConfig } from '../core/config.js';
import type { Dialect } from '../forward/dialect.js';
import { GatewayError } from '../forward/gateway-error.js';
import type { ForwardPlan } from '../forward/forward-plan.js';
import type { ClientRequest } from './client-request.js';

/** A plan without its request-scoped parts and its dialect, which the client API fills in. */
export type RoutePlan = Omit<
  ForwardPlan,
  'dialect' | 'accessTokenId' | 'keyGroup' | 'clientGone' | 'defer' | 'onFinished'
>;

/** What every route may read besides its request; one long-lived object. */
export interface RouteEnv {
  readonly maxBodyBytes: number;
  /** Largest upload through the Files API, in bytes, over all its chunks. */
  readonly maxUploadBytes: number;
  /** The current config (it changes when settings are saved). */
  readonly config: PoolConfig;
}

/**
 * Validates the request (throwing a `GatewayError` for a client mistake) and describes the upstream
 * call. `param` is the still-encoded `:name` part of the path, or '' for a route without one.
 */
export type ClientRoute = (
  req: ClientRequest,
  env: RouteEnv,
  param: string,
) => RoutePlan | Promise<RoutePlan>;

export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below the mount's prefix. A trailing `:name` matches the rest of the path. */
  path: string;
  /** What the `:name` part must look like. */
  param?: RegExp;
  /** How this route talks to its client: token places, error and stream shapes. */
  dialect: Dialect;
  route: ClientRoute;
  /**
   * The same method and path served in another dialect when the request carries this header
   * (e.g. `GET /v1/models` with `anthropic-version`).
   */
  byHeader?: { name: string; entry: RouteEntry };
}

export interface RouteMatch {
  entry: RouteEntry;
  param: string;
}

export function matchRoute(table: readonly RouteEntry[], method: string, rest: string): RouteMatch | null {
  for (const entry of table) {
    if (entry.method !== method) continue;
    const colon = entry.path.indexOf(':');
    if (colon === -1) {
      if (rest === entry.path) return { entry, param: '' };
      continue;
    }
    if (rest.length <= colon || !rest.startsWith(entry.path.slice(0, colon))) continue;
    const param = rest.slice(colon);
    if (!entry.param || entry.param.test(param)) return { entry, param };
  }
  return null;
}

/** The entry that serves this request: `byHeader`'s when the request carries its header. */
export function chosenEntry(entry: RouteEntry, req: Pick<ClientRequest, 'header'>): RouteEntry {
  const alt = entry.byHeader;
  return alt && req.header(alt.name) !== null ? alt.entry : entry;
}

/** A percent-encoded path segment, decoded; malformed encoding is the client's mistake. */
export function decodePathSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError(400, 'The path has malformed percent-encoding', 'invalid_path');
  }
}
