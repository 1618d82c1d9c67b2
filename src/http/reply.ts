/**
 * What the client API answers, before it becomes a web `Response` (Hono, Workers) or is written
 * straight to a Node `ServerResponse` (the Node client lane). Plain data, so the hot path builds no
 * `Response` object it would only take apart again.
 */
export interface Reply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array | string | ReadableStream<Uint8Array> | null;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(value) };
}

export function toResponse(reply: Reply): Response {
  return new Response(reply.body as BodyInit | null, { status: reply.status, headers: reply.headers });
}
