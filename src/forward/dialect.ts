/**
 * A client dialect: the API flavour a route speaks to its client (OpenAI chat, Gemini native, …).
 * One object per dialect, attached to each route; the forwarding engine asks it how to shape
 * errors and streams, and never looks at a path.
 */
import type { GoogleError } from '../core/health/classify.js';
import type { Tokens } from '../core/types.js';
import type { StreamProblem } from '../core/usage/openai-stream-tap.js';
import type { GatewayError } from './gateway-error.js';
import type { Reply } from './reply.js';

/** Where a dialect's clients may put their access token, besides `Authorization: Bearer`. */
export interface TokenPlaces {
  /** `x-goog-api-key` and `?key=`, as Google's clients send it. */
  readonly googleStyle: boolean;
  /** `x-api-key`, as Anthropic's clients send it. */
  readonly xApiKey: boolean;
}

export interface Dialect {
  /** For logs and tests, e.g. `openai-chat`. */
  readonly name: string;
  readonly token: TokenPlaces;
  /** A gateway refusal (auth, validation, the pool's 429 with `retry-after`, …) in this dialect's shape. */
  errorReply(err: GatewayError): Reply;
  /** An upstream error passed to the client in this dialect's shape; messages are redacted. */
  upstreamErrorReply(status: number, google: GoogleError | null, knownKeys: Iterable<string>): Reply;
}

/**
 * Watches (and may rewrite or translate) a streamed body on its way to the client. `push` returns
 * the bytes to send now, `end` what is left once the upstream ended cleanly.
 */
export interface StreamTap {
  push(chunk: Uint8Array): Uint8Array;
  end(): Uint8Array;
  /** The last usage seen (upstream usage is cumulative). */
  readonly usage: Tokens | null;
  /** A stream that ended cleanly but still went wrong; null when the framing cannot tell. */
  readonly problem: StreamProblem | null;
}

/** A streamed response as one route serves it: what the upstream sends and what the client gets. */
export interface StreamFormat {
  /** How the upstream's first bytes must look: SSE fields, or a JSON array's `[`. */
  readonly upstreamFraming: 'sse' | 'json-array';
  /** A fresh tap for one stream. */
  createTap(): StreamTap;
  /** What tells the client the stream broke after its first byte; null where the framing has none. */
  interruptionEvent(reason: string): Uint8Array | null;
}
