/**
 * Bridges a streamed upstream body to the client: nothing is buffered beyond the event being
 * parsed, a client that leaves cancels the upstream read, and a stall ends the stream.
 */
import type { ChunkFlow, ChunkSink, ChunkSource } from '../core/chunk-flow.js';
import type { Tokens } from '../core/types.js';
import type { StreamProblem } from '../core/usage/openai-stream-tap.js';
import type { StreamFormat, StreamTap } from './dialect.js';

export interface StreamEnd {
  reason: 'complete' | 'client-abort' | 'stalled' | 'interrupted';
  tokens: Tokens | null;
  /** A stream that ended cleanly but still went wrong; see `StreamTap.problem`. */
  problem?: StreamProblem;
}

class StreamIdleError extends Error {
  constructor() {
    super('upstream stream stalled');
  }
}

/** The client took nothing for the idle timeout: it is treated as gone. */
class ClientStalledError extends Error {
  constructor() {
    super('client stopped reading the stream');
  }
}
const SSE_FIELDS = ['data:', ':', 'event:', 'id:', 'retry:'];
/** Shared: decoding without `stream` keeps no state between calls. */
const decoder = new TextDecoder();

/**
 * Whether the first bytes of a 200 look like the stream that was asked for: an SSE field for SSE,
 * `[` for Gemini's JSON array. Anything else (an empty or JSON error body, garbage) is an upstream
 * fault that can still be retried, since nothing has reached the client yet. A first chunk too
 * short to tell is given the benefit of the doubt.
 */
export function looksLikeStreamStart(framing: StreamFormat['upstreamFraming'], first: Uint8Array): boolean {
  const head = decoder.decode(first.subarray(0, 16)).replace(/^[\s\uFEFF]+/, '');
  if (framing === 'json-array') return head === '' || head.startsWith('[');
  return SSE_FIELDS.some((field) => head.startsWith(field) || field.startsWith(head));
}

interface Pending {
  resolve(first: Uint8Array | null): void;
  reject(err: Error): void;
}

/**
 * Carries a streamed 2xx from the upstream to the client, pushing each chunk through the usage tap
 * in the tick it arrives. First `start()` waits for the first chunk, holding it back, so the
 * attempt can still refuse the stream and retry; then the relay is the reply's body and `pipe()`
 * connects the client. A slow client pauses the upstream, a client that leaves cancels it, and an
 * upstream that goes quiet for `idleTimeoutMs` (while the client is keeping up) ends the stream. The
 * same bound holds the other way: a client that takes nothing for `idleTimeoutMs` while the upstream
 * waits on it is cut off and counted as a client abort, so it cannot hold the upstream connection.
 */
export class StreamRelay implements ChunkSink, ChunkSource {
  readonly done: Promise<Tokens | null>;
  readonly #format: StreamFormat;
  readonly #idleTimeoutMs: number;
  readonly #onEnd: (end: StreamEnd) => void;
  readonly #tap: StreamTap;
  #resolveDone!: (tokens: Tokens | null) => void;
  #upstream: ChunkFlow | null = null;
  #client: ChunkSink | null = null;
  /** Upstream chunks received before the client connected, not yet through the tap. */
  #held: Uint8Array[] = [];
  /** How the upstream ended before the client connected: 'end', its error, or null if it has not. */
  #upstreamEnd: 'end' | Error | null = null;
  #head: Pending | null = null;
  /** The upstream was asked to pause: the client (or the attempt) is not taking chunks now. */
  #paused = false;
  /** When the client last refused a chunk, pausing the upstream. */
  #pausedAt = 0;
  #lastChunkAt = 0;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #finished = false;

  constructor(opts: { format: StreamFormat; idleTimeoutMs: number; onEnd: (end: StreamEnd) => void }) {
    this.#format = opts.format;
    this.#idleTimeoutMs = opts.idleTimeoutMs;
    this.#onEnd = opts.onEnd;
    this.#tap = opts.format.createTap();
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /**
   * Connects to the upstream body. Resolves with its first chunk, or null when it ended without one;
   * rejects when it fails or stays quiet for the idle timeout first.
   */
  start(body: ChunkSource): Promise<Uint8Array | null> {
    const head = new Promise<Uint8Array | null>((resolve, reject) => (this.#head = { resolve, reject }));
    this.#lastChunkAt = Date.now();
    this.#armIdle(this.#idleTimeoutMs);
    this.#upstream = body.pipe(this);
    return head;
  }

  /** Gives the stream up before it reached the client: the upstream is cancelled and nothing is reported. */
  abandon(reason: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearIdle();
    this.#upstream?.cancel(reason);
  }

  write(chunk: Uint8Array): boolean {
    if (this.#finished || chunk.byteLength === 0) return true;
    this.#lastChunkAt = Date.now();
    const client = this.#client;
    if (client) return this.#forward(client, chunk);
    this.#held.push(chunk);
    this.#settleHead((head) => head.resolve(chunk));
    this.#paused = true;
    return false;
  }

  end(): void {
    if (this.#finished) return;
    const client = this.#client;
    if (!client) {
      this.#upstreamEnd = 'end';
      this.#settleHead((head) => head.resolve(null));
      return;
    }
    const rest = this.#tap.end();
    if (rest.byteLength > 0) client.write(rest);
    this.#finish('complete');
    client.end();
  }

  fail(err: Error): void {
    if (this.#finished) return;
    if (!this.#client) {
      this.#upstreamEnd = err;
      this.#settleHead((head) => head.reject(err));
      return;
    }
    this.#interrupt('interrupted', err);
  }

  pipe(client: ChunkSink): ChunkFlow {
    this.#client = client;
    // A pause before now waited on the attempt, not on this client.
    this.#pausedAt = Date.now();
    const held = this.#held;
    this.#held = [];
    let more = true;
    for (const chunk of held) more = this.#forward(client, chunk);
    const upstreamEnd = this.#upstreamEnd;
    if (upstreamEnd === 'end') this.end();
    else if (upstreamEnd) this.fail(upstreamEnd);
    else if (more) this.#resume();
    return {
      resume: () => this.#resume(),
      cancel: (reason) => {
        if (this.#finished) return;
        this.#upstream?.cancel(reason);
        this.#finish('client-abort');
      },
    };
  }

  #forward(client: ChunkSink, chunk: Uint8Array): boolean {
    const out = this.#tap.push(chunk);
    if (out.byteLength === 0 || client.write(out)) return true;
    if (!this.#paused) this.#pausedAt = Date.now();
    this.#paused = true;
    return false;
  }

  #resume(): void {
    if (!this.#paused || this.#finished) return;
    this.#paused = false;
    // The quiet time starts now: while paused, the upstream was waiting on us.
    this.#lastChunkAt = Date.now();
    this.#upstream?.resume();
  }

  #settleHead(settle: (head: Pending) => void): void {
    const head = this.#head;
    if (!head) return;
    this.#head = null;
    settle(head);
  }

  /** One timer per quiet period, not per chunk: when it fires it checks how long the upstream was quiet. */
  #armIdle(ms: number): void {
    this.#idleTimer = setTimeout(() => this.#checkIdle(), ms);
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #checkIdle(): void {
    this.#idleTimer = null;
    if (this.#finished) return;
    if (this.#paused) {
      const client = this.#client;
      const waiting = Date.now() - this.#pausedAt;
      if (!client || waiting < this.#idleTimeoutMs)
        return this.#armIdle(this.#idleTimeoutMs - (client ? waiting : 0));
      const err = new ClientStalledError();
      this.#upstream?.cancel(err);
      this.#finish('client-abort');
      client.fail(err);
      return;
    }
    const quiet = Date.now() - this.#lastChunkAt;
    if (quiet < this.#idleTimeoutMs) return this.#armIdle(this.#idleTimeoutMs - quiet);
    const err = new StreamIdleError();
    if (this.#client) return this.#interrupt('stalled', err);
    this.#upstream?.cancel(err);
    this.#settleHead((head) => head.reject(err));
  }

  /** Ends a stream the client is already reading: the dialect's error event if it has one, else a failed body. */
  #interrupt(reason: 'stalled' | 'interrupted', err: Error): void {
    const client = this.#client as ChunkSink;
    this.#upstream?.cancel(err);
    this.#finish(reason);
    const event = this.#format.interruptionEvent(reason);
    if (event) {
      client.write(event);
      client.end();
    } else {
      client.fail(err);
    }
  }

  #finish(reason: StreamEnd['reason']): void {
    this.#finished = true;
    this.#clearIdle();
    const tokens = this.#tap.usage;
    const problem = reason === 'complete' ? this.#tap.problem : null;
    this.#onEnd(problem ? { reason, tokens, problem } : { reason, tokens });
    this.#resolveDone(tokens);
  }
}
