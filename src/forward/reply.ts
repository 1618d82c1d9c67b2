import { readableFrom, type ChunkSource } from '../core/chunk-flow.js';

/**
 * What the client API answers, before it becomes a web `Response` (Hono, Workers) or is written
 * straight to a Node `ServerResponse` (the Node client lane). Plain data, so the hot path builds no
 * `Response` object it would only take apart again.
 */
export interface Reply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** A `ChunkSource` is a stream, pushed to the client as it arrives. */
  body: Uint8Array | string | ChunkSource | null;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(value) };
}

export function isStreamBody(body: Reply['body']): body is ChunkSource {
  return typeof body === 'object' && body !== null && !(body instanceof Uint8Array);
}

export function toResponse(reply: Reply): Response {
  const { body } = reply;
  const init = { status: reply.status, headers: reply.headers };
  // A Uint8Array typed over ArrayBufferLike; ours are never backed by a SharedArrayBuffer.
  return new Response(isStreamBody(body) ? readableFrom(body) : (body as BodyInit | null), init);
}
