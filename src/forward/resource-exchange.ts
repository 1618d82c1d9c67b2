/**
 * Calls on Gemini's project-bound resources (files, uploads, cached contents, batches,
 * operations): they send headers of their own (the upload protocol's), and answer the client
 * from the upstream answer themselves, recording or forgetting who owns what.
 */
import type { Outcome } from '../core/health/classify.js';
import type { ResourceOwnership } from '../core/resources/ownership.js';
import type { PoolKey } from '../core/types.js';
import type { Reply } from './reply.js';

/** What an answer needs from the request: set by the client API for each request. */
export interface ResourceContext {
  ownership: ResourceOwnership;
  accessTokenId: number | null;
  now: number;
  /** The gateway's public base URL for this request, e.g. `https://gw.example.com`. */
  publicBase: string;
  /** Gemini's base URL, which answers name in file URIs: the client sees `publicBase` instead. */
  upstreamBase: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An answer body with Gemini's base URL (in file URIs) replaced by the gateway's public one. */
export function publicBody(body: Uint8Array, ctx: ResourceContext): Uint8Array {
  const text = decoder.decode(body);
  const upstream = `${ctx.upstreamBase}/`;
  return text.includes(upstream) ? encoder.encode(text.replaceAll(upstream, `${ctx.publicBase}/`)) : body;
}

const FILE_URI = /("file_?[uU]ri"\s*:\s*")[^"]*?(\/v1beta\/files\/[^"]+")/g;

/**
 * A request body whose file URIs (whatever host the client got them from) point at Gemini again,
 * for a request that names files: Gemini takes only its own URIs.
 */
export function upstreamFileUris(body: Uint8Array, upstreamBase: string): Uint8Array {
  const text = decoder.decode(body);
  const out = text.replace(FILE_URI, (_m, head: string, tail: string) => `${head}${upstreamBase}${tail}`);
  return out === text ? body : encoder.encode(out);
}

/** A 2xx upstream answer, buffered (resource answers are small JSON, or empty). */
export interface ExchangeResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface ResourceExchange {
  /** Upstream headers besides the key's (never a key or a client token). */
  headers?: Record<string, string>;
  /** The client's answer to a 2xx upstream answer; may record ownership through `ctx`. */
  answer(res: ExchangeResponse, key: PoolKey, ctx: ResourceContext): Promise<Reply>;
}

/**
 * A 403 or 404 for a request that names resources is the resource's own answer (gone, expired,
 * never created through this pool): passed to the client, not held against the key. A key that
 * is itself refused (suspended, invalid, rate-limited) keeps its own outcome.
 */
export function resourceOutcome(outcome: Outcome, status: number, namesResources: boolean): Outcome {
  if (!namesResources || (status !== 403 && status !== 404)) return outcome;
  return outcome.kind === 'key-error' ? { kind: 'client-fault', status } : outcome;
}
