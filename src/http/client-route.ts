/** What a client API route is, and the small table matcher both route families use. */
import type { ClientRequest } from './client-request.js';
import { GatewayError } from './errors.js';
import type { ForwardPlan } from '../forward/forward-plan.js';

/** A plan without its request-scoped parts, which the client API fills in. */
export type RoutePlan = Omit<ForwardPlan, 'accessTokenId' | 'clientGone' | 'defer' | 'onFinished'>;

/**
 * Validates the request (throwing a `GatewayError` for a client mistake) and describes the upstream
 * call. `param` is the still-encoded `:name` part of the path, or '' for a route without one.
 */
export type ClientRoute = (
  req: ClientRequest,
  maxBodyBytes: number,
  param: string,
  limits: RouteLimits,
) => RoutePlan | Promise<RoutePlan>;

/** Limits of routes other than JSON bodies. */
export interface RouteLimits {
  /** Largest upload, in bytes, over all its chunks. */
  maxUploadBytes: number;
}

export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below the family's prefix. A trailing `:name` matches the rest of the path. */
  path: string;
  /** What the `:name` part must look like. */
  param?: RegExp;
  route: ClientRoute;
}

export interface RouteMatch {
  route: ClientRoute;
  param: string;
}

export function matchRoute(table: readonly RouteEntry[], method: string, rest: string): RouteMatch | null {
  for (const entry of table) {
    if (entry.method !== method) continue;
    const colon = entry.path.indexOf(':');
    if (colon === -1) {
      if (rest === entry.path) return { route: entry.route, param: '' };
      continue;
    }
    if (rest.length <= colon || !rest.startsWith(entry.path.slice(0, colon))) continue;
    const param = rest.slice(colon);
    if (!entry.param || entry.param.test(param)) return { route: entry.route, param };
  }
  return null;
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
