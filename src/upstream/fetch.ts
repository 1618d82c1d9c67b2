/**
 * The `Upstream` port over the WHATWG `fetch`: the Workers runtime's client (on Node the undici
 * adapter is faster, see ARCHITECTURE.md). Nothing here is runtime-specific.
 */
import type { Cancellation } from '../core/cancel.js';
import { sourceFrom } from '../core/chunk-flow.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from '../core/ports.js';

/**
 * `fetch` always decodes a compressed body, so the length and encoding the server announced no
 * longer describe the bytes we hand on. Dropping them lets the response we build describe itself.
 */
const DECODED_BODY_HEADERS = new Set(['content-encoding', 'content-length']);

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  // Headers iterates with lower-case names and joins repeated values with ", ".
  headers.forEach((value, name) => {
    if (!DECODED_BODY_HEADERS.has(name)) out[name] = value;
  });
  return out;
}

/** A signal for `fetch` that aborts on the caller's cancellation, and that cancelling a stream can abort too. */
function linkedController(cancel: Cancellation): AbortController {
  const controller = new AbortController();
  cancel.onCancel((reason) => controller.abort(reason));
  return controller;
}

function wrapResponse(res: Response, controller: AbortController): UpstreamResponse {
  let used = false;
  const claim = (what: string) => {
    if (used) throw new Error(`upstream body already consumed; ${what}() called twice`);
    used = true;
  };
  return {
    status: res.status,
    headers: headerRecord(res.headers),
    async bytes() {
      claim('bytes');
      return new Uint8Array(await res.arrayBuffer());
    },
    pipe(sink) {
      claim('pipe');
      const body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      // The reader pauses with the sink, so the upstream is read only as fast as the client reads.
      return sourceFrom(body, (reason) => controller.abort(reason)).pipe(sink);
    },
  };
}

/** A web stream over an async iterable (a web stream already is one, and is passed as it is). */
function webStream(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}

/**
 * Creates an `Upstream` that sends requests with `fetchImpl`. HTTP errors resolve; connection
 * errors and aborts reject, as the port requires.
 */
export function createFetchUpstream(fetchImpl: typeof fetch = fetch): Upstream {
  return {
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      const controller = linkedController(req.cancel);
      const streamed =
        req.body !== undefined && typeof req.body !== 'string' && !(req.body instanceof Uint8Array);
      const init: RequestInit & { duplex?: 'half' } = {
        method: req.method,
        headers: req.headers,
        // A Uint8Array typed over ArrayBufferLike; ours are never backed by a SharedArrayBuffer.
        body:
          req.method === 'GET'
            ? undefined
            : streamed
              ? webStream(req.body as AsyncIterable<Uint8Array>)
              : (req.body as BodyInit | undefined),
        signal: controller.signal,
        redirect: 'manual',
      };
      // A streamed request body needs `duplex: 'half'` on Node's fetch (Workers ignore it).
      if (streamed) init.duplex = 'half';
      const res = await fetchImpl(req.url, init);
      return wrapResponse(res, controller);
    },
  };
}
