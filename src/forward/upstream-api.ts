/**
 * The two Gemini APIs a plan can call: Google's OpenAI-compatible endpoint, which takes the key as
 * `Authorization: Bearer`, and the native API, which takes it in `x-goog-api-key` (never in the URL:
 * query strings end up in logs). Usage readers pick the token counts out of a buffered 2xx body.
 */
import { NO_TOKENS } from '../core/pool-service.js';
import type { Tokens } from '../core/types.js';
import { openaiUsage, usageMetadataTokens } from '../core/usage/tokens.js';
import { scanObjectAt } from '../core/usage/usage-scan.js';

export interface UpstreamApi {
  /** Lower-case header name the pooled key goes in. */
  readonly keyHeader: string;
  /** Put before the key in that header. */
  readonly keyPrefix: string;
}

export const OPENAI_COMPAT_API: UpstreamApi = { keyHeader: 'authorization', keyPrefix: 'Bearer ' };
export const GEMINI_NATIVE_API: UpstreamApi = { keyHeader: 'x-goog-api-key', keyPrefix: '' };

/** Reads the token counts of a buffered 2xx body. */
export type BodyUsage = (body: Uint8Array) => Tokens;

/** `usage` of an OpenAI-shaped body, read without parsing the whole body. */
export const openaiBodyUsage: BodyUsage = (body) =>
  openaiUsage({ usage: scanObjectAt(body, 'usage') }) ?? NO_TOKENS;

/** `usageMetadata` of a native Gemini body, read without parsing the whole body. */
export const geminiBodyUsage: BodyUsage = (body) =>
  usageMetadataTokens(scanObjectAt(body, 'usageMetadata')) ?? NO_TOKENS;
