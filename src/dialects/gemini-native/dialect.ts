/**
 * Gemini's native API (https://ai.google.dev/api), relayed as it is. Streams are only watched for
 * their usage, never rewritten.
 */
import { GeminiJsonArrayTap, GeminiSseTap } from '../../core/usage/gemini-stream-taps.js';
import type { Dialect, StreamFormat, StreamTap } from '../../forward/dialect.js';
import { geminiGatewayErrorReply, geminiUpstreamErrorReply } from './errors.js';

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Google's clients send the token as `x-goog-api-key` or `?key=`; Bearer works too. */
export const GEMINI_NATIVE: Dialect = {
  name: 'gemini-native',
  token: { googleStyle: true, xApiKey: false },
  errorReply: geminiGatewayErrorReply,
  upstreamErrorReply: geminiUpstreamErrorReply,
};

/** Native streams have neither an end marker nor a documented error event, so `problem` is always null. */
function observeOnly(tap: GeminiSseTap | GeminiJsonArrayTap): StreamTap {
  return {
    push(chunk) {
      tap.push(chunk);
      return chunk;
    },
    end: () => EMPTY,
    get usage() {
      return tap.usage;
    },
    problem: null,
  };
}

/** `streamGenerateContent?alt=sse`. */
export const GEMINI_SSE: StreamFormat = {
  upstreamFraming: 'sse',
  createTap: () => observeOnly(new GeminiSseTap()),
  interruptionEvent(reason) {
    const message = `Upstream stream ${reason}; the response is incomplete`;
    return encoder.encode(
      `data: ${JSON.stringify({ error: { code: 502, message, status: 'UNAVAILABLE' } })}\r\n\r\n`,
    );
  },
};

/** `streamGenerateContent` without `alt=sse`: one JSON array, which has no room for an error event. */
export const GEMINI_JSON_ARRAY: StreamFormat = {
  upstreamFraming: 'json-array',
  createTap: () => observeOnly(new GeminiJsonArrayTap()),
  interruptionEvent: () => null,
};
