/**
 * A client API request as the routes see it, whatever carried it: a web `Request` (Hono on
 * Workers, and on Node when CORS applies) or Node's `IncomingMessage` (the Node client lane).
 */
import { cancellationOf, type Cancellation } from '../core/cancel.js';
import { GatewayError } from '../forward/gateway-error.js';

export interface ClientRequest {
  readonly method: string;
  /** The path without its query. */
  readonly path: string;
  /** The query string without its `?`; empty when there is none. */
  readonly query: string;
  /** A request header by lower-case name. */
  readonly header: (name: string) => string | null;
  /** The whole body; more than `limit` bytes is refused with a 413. */
  body(limit: number): Promise<Uint8Array>;
  /** `scheme://host[:port]` the request was sent to. */
  origin(): string;
  /** The body as it arrives, for a route that streams it through (an upload); read it once. */
  stream(): AsyncIterable<Uint8Array>;
  /** Cancelled when the client goes away before its response is complete. */
  readonly gone: Cancellation;
  /** Keeps work alive past the response (Workers' `waitUntil`; a tracked set on Node). */
  readonly defer: (work: Promise<unknown>) => void;
}

const MIB = 1024 * 1024;

/** The 413 for a body over `limit` bytes; it names the setting that raises the limit. */
export function bodyTooLarge(limit: number): GatewayError {
  const size = limit % MIB === 0 ? `${limit / MIB} MiB` : `${limit} bytes`;
  return new GatewayError(
    413,
    `Request body is larger than this gateway's limit of ${size} (MAX_BODY_MB)`,
    'request_too_large',
  );
}

/** Concatenates chunks, without copying when there is only one. */
export function concatChunks(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw bodyTooLarge(limit);
  // With a declared length the runtime enforces it: read in one go (on Node this skips building a web stream).
  if (declared !== null) return new Uint8Array(await req.arrayBuffer());
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      void reader.cancel().catch(() => undefined);
      throw bodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return concatChunks(chunks, size);
}

const EMPTY_STREAM: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

/** The parts of a web `Request` that `readJsonBody` reads. */
export function webBody(req: Request): Pick<ClientRequest, 'header' | 'body'> {
  return { header: (name) => req.headers.get(name), body: (limit) => readLimited(req, limit) };
}

/** A web `Request` as a `ClientRequest`; `path` is the router's (normalised) path. */
export function webClientRequest(
  req: Request,
  path: string,
  defer: (work: Promise<unknown>) => void,
): ClientRequest {
  const url = req.url;
  const q = url.indexOf('?');
  return {
    method: req.method,
    path,
    query: q === -1 ? '' : url.slice(q + 1),
    ...webBody(req),
    stream: () => req.body ?? EMPTY_STREAM,
    origin: () => new URL(url).origin,
    gone: cancellationOf(req.signal),
    defer,
  };
}
