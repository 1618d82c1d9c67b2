/**
 * OpenAI's Responses API (https://platform.openai.com/docs/api-reference/responses), translated to
 * Gemini's native API. Errors take OpenAI's shape, as on the chat route; a stream that breaks after
 * its first byte ends with `response.failed`.
 */
import type { Dialect, StreamFormat } from '../../forward/dialect.js';
import { OPENAI_CHAT } from '../openai-chat/dialect.js';
import type { BuildContext } from './builder.js';
import { ResponsesStreamTranslator } from './stream.js';

export const OPENAI_RESPONSES: Dialect = { ...OPENAI_CHAT, name: 'openai-responses' };

/** The stream of one request: the tap that translates it also writes its interruption event. */
export function responsesStream(ctx: BuildContext): StreamFormat {
  let tap: ResponsesStreamTranslator | null = null;
  return {
    upstreamFraming: 'sse',
    createTap: () => (tap = new ResponsesStreamTranslator(ctx)),
    interruptionEvent: (reason) => tap?.interrupt(reason) ?? null,
  };
}
