/**
 * Anthropic's Messages API (https://docs.anthropic.com/en/api/messages), translated to Gemini's
 * native API. Its clients send the token in `x-api-key` (the SDK, Claude Code) or as Bearer.
 */
import type { Dialect } from '../../forward/dialect.js';
import { anthropicGatewayErrorReply, anthropicUpstreamErrorReply } from './errors.js';

export const ANTHROPIC: Dialect = {
  name: 'anthropic',
  token: { googleStyle: false, xApiKey: true },
  errorReply: anthropicGatewayErrorReply,
  upstreamErrorReply: anthropicUpstreamErrorReply,
};
