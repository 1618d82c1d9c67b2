/**
 * Gemini's `usageMetadata` → the Responses `usage` object: thoughts count as output and are also
 * reported as reasoning tokens; the cached part of the prompt as cached tokens.
 * Spec: https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage
 */
import { usageCounts } from '../gemini/outcome.js';
import type { UsageMetadata } from '../gemini/types.js';
import type { ResponsesUsage } from './types.js';

export function responsesUsage(meta: UsageMetadata | undefined): ResponsesUsage {
  const u = usageCounts(meta);
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens, cache_write_tokens: 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
}
