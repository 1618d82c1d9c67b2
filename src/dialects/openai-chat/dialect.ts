/**
 * OpenAI chat completions, embeddings and models, relayed to Google's OpenAI-compatible endpoint
 * (https://ai.google.dev/gemini-api/docs/openai). Streams pass through `OpenAIStreamTap`, which
 * numbers tool calls and records usage.
 */
import { OpenAIStreamTap } from '../../core/usage/openai-stream-tap.js';
import type { Dialect, StreamFormat } from '../../forward/dialect.js';
import { openaiGatewayErrorReply, openaiUpstreamErrorReply } from './errors.js';

const encoder = new TextEncoder();

/** Below `/v1/`: the token comes only as `Authorization: Bearer`. */
export const OPENAI_CHAT: Dialect = {
  name: 'openai-chat',
  token: { googleStyle: false, xApiKey: false },
  errorReply: openaiGatewayErrorReply,
  upstreamErrorReply: openaiUpstreamErrorReply,
};

/** Below `/v1beta/openai/`, Google's own path for it: Google's clients may also send the token Google's way. */
export const OPENAI_CHAT_ON_GOOGLE_PATH: Dialect = {
  ...OPENAI_CHAT,
  name: 'openai-chat-google-path',
  token: { googleStyle: true, xApiKey: false },
};

export const OPENAI_SSE: StreamFormat = {
  upstreamFraming: 'sse',
  createTap: () => new OpenAIStreamTap(),
  interruptionEvent(reason) {
    const message = `Upstream stream ${reason}; the response is incomplete`;
    const body = { error: { message, type: 'api_error', code: `stream_${reason}`, param: null } };
    return encoder.encode(`data: ${JSON.stringify(body)}\n\n`);
  },
};
