/**
 * A Worker for the client-SDK tests: every upstream request it sends is recorded, and the next
 * stream answers can be cut after their first event, like a connection reset.
 */
import { createWorker } from '../../src/runtime/worker/worker.js';
import { sentUpstream, type SentUpstream } from './harness.js';

/**
 * The upstream answer with only its first event (SSE, or the first element of a JSON array
 * stream), then a connection error. Handed over as a bare response-like object: wrapped in a real
 * Response, workerd pumps the body ahead of the reader and the error overtakes the first event.
 */
async function cutAfterFirstEvent(res: Response): Promise<Response> {
  const text = await res.text();
  const end = text.includes('\r\n\r\n') ? text.indexOf('\r\n\r\n') + 4 : text.indexOf('\r\n,');
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text.slice(0, end)));
    },
    pull(controller) {
      controller.error(new Error('connection reset by peer'));
    },
  });
  return { status: res.status, ok: res.ok, headers: res.headers, body } as unknown as Response;
}

/** A Worker over the shared mock whose upstream requests land in `upstream`, oldest first. */
export function upstreamRecordingWorker() {
  const upstream: SentUpstream[] = [];
  const cuts = { left: 0 };
  const worker = createWorker({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      upstream.push(sentUpstream(request, init));
      const res = await fetch(input, init);
      if (cuts.left > 0 && res.ok && request.url.includes(':streamGenerateContent')) {
        cuts.left -= 1;
        return cutAfterFirstEvent(res);
      }
      return res;
    },
    logger: () => {},
  });
  return {
    worker,
    upstream,
    /** The next `n` successful stream answers end after their first event (0 stops cutting). */
    cutStreams(n: number): void {
      cuts.left = n;
    },
  };
}
