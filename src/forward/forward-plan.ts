/** What a route hands the proxy, and what one upstream attempt can end in. */
import type { Cancellation } from '../core/cancel.js';
import type { GoogleError, Outcome } from '../core/health/classify.js';
import { redactSecrets } from '../core/keys/redact.js';
import { rateLimitNote } from '../core/health/usage-cooldowns.js';
import type { KeyGroupFilter } from '../core/pool/pool.js';
import { NO_TOKENS } from '../core/pool-service.js';
import type { PoolKey, Tokens } from '../core/types.js';
import type { ResourceOwnerRef } from '../core/pool/pool.js';
import type { UpstreamMethod } from '../core/ports.js';
import type { ResourceExchange, ResourceContext } from './resource-exchange.js';
import type { Dialect, StreamFormat } from './dialect.js';
import type { Reply } from './reply.js';
import type { BodyUsage, UpstreamApi } from './upstream-api.js';

/** One client request, as a route describes it to the proxy. */
export interface ForwardPlan {
  dialect: Dialect;
  /** Operation name recorded in usage, e.g. `chat.completions`. */
  endpoint: string;
  model: string | null;
  /** Upstream path and query, appended to the base URL. Never contains a key. */
  path: string;
  method: UpstreamMethod;
  /** Bytes, or (an upload) a body streamed through as it arrives: such a plan gets one attempt only. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  /**
   * Project-bound resources the request names (`files/…`, `cachedContents/…`, …): it goes to their
   * owner, and a 403 or 404 for them is the resource's answer, passed through without penalty.
   */
  resources?: readonly string[];
  /** Set from `resources` once resolved: the key (or project) that owns them. */
  owner?: ResourceOwnerRef;
  /** A key to try first when usable (resource affinity); the strategy picks otherwise. */
  preferKeyId?: number;
  /** The client API refuses the request when `resources` have no known owner (an upload session). */
  ownerRequired?: boolean;
  /**
   * Resource affinity: the client API prefers the key of the newest resource with this name prefix
   * created under the same access token within `resource_affinity_seconds`.
   */
  affinity?: string;
  /** A list merged over every key that owns resources of this kind; the client API pages it. */
  listing?: { kind: 'files' | 'cachedContents'; query: string };
  /** A resource call: its own upstream headers and its own answer to the client. */
  exchange?: ResourceExchange;
  /** What a resource call's answer needs from the request; set by the client API. */
  context?: ResourceContext;
  /** Which Gemini API is called, so where the pooled key goes. */
  upstream: UpstreamApi;
  /** Null for a buffered response. */
  stream: StreamFormat | null;
  /** Reads a buffered 2xx body's tokens; null for operations that use none. */
  usage: BodyUsage | null;
  /** Rewrites (or translates) a successful JSON body before it is returned. */
  rewrite?: (json: unknown) => unknown;
  accessTokenId: number | null;
  /** The keys the access token may use (its `key_group`). */
  keyGroup: KeyGroupFilter;
  /** Cancelled when the client goes away. */
  clientGone: Cancellation;
  /** Keeps post-response work (stream end bookkeeping, per-request flush) alive. */
  defer: (work: Promise<unknown>) => void;
  /** Called once when the request is completely finished, streams included; returned work is deferred. */
  onFinished: () => Promise<void> | void;
}

/** An attempt that did not produce the client's response. */
export interface Failure {
  status: number;
  outcome: Outcome;
  google: GoogleError | null;
  key: PoolKey;
}

export type AttemptResult =
  | { kind: 'response'; reply: Reply; tokens: Tokens }
  | { kind: 'streaming'; reply: Reply; done: Promise<Tokens | null> }
  | { kind: 'failure'; failure: Failure };

export function keyHeaders(plan: ForwardPlan, key: PoolKey): Record<string, string> {
  const headers: Record<string, string> = {
    accept: plan.stream ? 'text/event-stream, */*' : 'application/json',
  };
  if (plan.body instanceof Uint8Array) headers['content-type'] = 'application/json';
  headers[plan.upstream.keyHeader] = plan.upstream.keyPrefix + key.apiKey;
  return headers;
}

/** Token counts of a buffered 2xx body. */
export function usageOf(plan: ForwardPlan, body: Uint8Array): Tokens {
  return plan.usage ? plan.usage(body) : NO_TOKENS;
}

/** A short, redacted description of a failed attempt, for usage rows and error messages. */
export function describe(outcome: Outcome, google: Failure['google'], key: PoolKey): string | null {
  if (outcome.kind === 'ok') return null;
  const parts: string[] = [outcome.kind];
  if ('reason' in outcome) parts.push(outcome.reason);
  if (outcome.kind === 'upstream-fault' && outcome.detail) parts.push(outcome.detail);
  // Other processes read the cooldown back from this text (see core/health/usage-cooldowns.ts).
  if (outcome.kind === 'rate-limited') parts.push(rateLimitNote(outcome));
  if (google?.status) parts.push(google.status);
  return redactSecrets(parts.join(': '), [key.apiKey]).slice(0, 300);
}
