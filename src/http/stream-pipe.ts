/**
 * Bridges an upstream body to the client as a pull-based stream: nothing is buffered beyond the
 * event being parsed, a cancelled client cancels the upstream read, and a stall ends the stream.
 */
import type { Tokens } from '../core/types.js';
import { GeminiJsonArrayTap, GeminiSseTap } from '../core/usage/gemini-stream-taps.js';
import { OpenAIStreamTap } from '../core/usage/openai-stream-tap.js';

export type StreamKind = 'openai-sse' | 'gemini-sse' | 'gemini-json-array';

export interface StreamEnd {
  reason: 'complete' | 'client-abort' | 'stalled' | 'interrupted';
  tokens: Tokens | null;
}

interface Tap {
  push(chunk: Uint8Array): Uint8Array;
  end(): Uint8Array;
  readonly usage: Tokens | null;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

class StreamIdleError extends Error {
  constructor() {
    super('upstream stream stalled');
  }
}

function observeOnly(tap: GeminiSseTap | GeminiJsonArrayTap): Tap {
  return {
    push(chunk) {
      tap.push(chunk);
      return chunk;
    },
    end: () => EMPTY,
    get usage() {
      return tap.usage;
    },
  };
}

function createTap(kind: StreamKind): Tap {
  if (kind === 'openai-sse') return new OpenAIStreamTap();
  return observeOnly(kind === 'gemini-sse' ? new GeminiSseTap() : new GeminiJsonArrayTap());
}

/** The event that tells an SSE client the stream broke, in its dialect; null where the framing has none. */
function interruptionEvent(kind: StreamKind, reason: string): Uint8Array | null {
  const message = `Upstream stream ${reason}; the response is incomplete`;
  if (kind === 'openai-sse') {
    const body = { error: { message, type: 'api_error', code: `stream_${reason}`, param: null } };
    return encoder.encode(`data: ${JSON.stringify(body)}\n\n`);
  }
  if (kind === 'gemini-sse') {
    return encoder.encode(
      `data: ${JSON.stringify({ error: { code: 502, message, status: 'UNAVAILABLE' } })}\r\n\r\n`,
    );
  }
  return null;
}

const SSE_FIELDS = ['data:', ':', 'event:', 'id:', 'retry:'];

/**
 * Whether the first bytes of a 200 look like the stream that was asked for: an SSE field for the
 * SSE kinds, `[` for Gemini's JSON array. Anything else (an empty or JSON error body, garbage) is an
 * upstream fault that can still be retried, since nothing has reached the client yet. A first chunk
 * too short to tell is given the benefit of the doubt.
 */
export function looksLikeStreamStart(kind: StreamKind, first: Uint8Array): boolean {
  const head = new TextDecoder().decode(first.subarray(0, 16)).replace(/^[\s\uFEFF]+/, '');
  if (kind === 'gemini-json-array') return head === '' || head.startsWith('[');
  return SSE_FIELDS.some((field) => head.startsWith(field) || field.startsWith(head));
}

/** Reads one chunk; null when the stream ended. Rejects when nothing arrives within `timeoutMs`. */
export function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StreamIdleError()), timeoutMs);
    reader.read().then(
      (r) => {
        clearTimeout(timer);
        resolve(r.done ? null : r.value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export function pipeStream(opts: {
  kind: StreamKind;
  first: Uint8Array;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  idleTimeoutMs: number;
  onEnd: (end: StreamEnd) => void;
}): { body: ReadableStream<Uint8Array>; done: Promise<Tokens | null> } {
  const { kind, reader, idleTimeoutMs } = opts;
  const tap = createTap(kind);
  let resolveDone!: (tokens: Tokens | null) => void;
  const done = new Promise<Tokens | null>((resolve) => (resolveDone = resolve));
  let finished = false;
  const finish = (reason: StreamEnd['reason']) => {
    if (finished) return;
    finished = true;
    const tokens = tap.usage;
    opts.onEnd({ reason, tokens });
    resolveDone(tokens);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const out = tap.push(opts.first);
      if (out.byteLength > 0) controller.enqueue(out);
    },
    async pull(controller) {
      let chunk: Uint8Array | null;
      try {
        chunk = await readChunk(reader, idleTimeoutMs);
      } catch (err) {
        if (finished) return;
        void reader.cancel().catch(() => undefined);
        const reason = err instanceof StreamIdleError ? 'stalled' : 'interrupted';
        const event = interruptionEvent(kind, reason);
        finish(reason);
        if (event) {
          controller.enqueue(event);
          controller.close();
        } else {
          controller.error(err);
        }
        return;
      }
      if (finished) return;
      if (chunk === null) {
        const rest = tap.end();
        if (rest.byteLength > 0) controller.enqueue(rest);
        controller.close();
        finish('complete');
        return;
      }
      const out = tap.push(chunk);
      if (out.byteLength > 0) controller.enqueue(out);
    },
    cancel() {
      void reader.cancel().catch(() => undefined);
      finish('client-abort');
    },
  });
  return { body, done };
}
