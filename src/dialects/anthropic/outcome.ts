/**
 * Gemini's end of generation and usage in Anthropic's terms.
 * https://docs.anthropic.com/en/api/messages (stop_reason, usage)
 */
import { stopKind, usageCounts, type StopKind } from '../gemini/outcome.js';
import type { FinishReason, UsageMetadata } from '../gemini/types.js';

export type StopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence' | 'refusal';

const STOP_REASONS: Record<StopKind, StopReason> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  max_tokens: 'max_tokens',
  content_filter: 'refusal',
  error: 'end_turn',
};

/**
 * Gemini reports a stop sequence as a plain STOP, so `stop_sequence` is never given; a prompt
 * blocked before any candidate is a refusal.
 */
export function stopReason(reason: FinishReason | undefined, sawCall: boolean, blocked: boolean): StopReason {
  return blocked ? 'refusal' : STOP_REASONS[stopKind(reason, sawCall)];
}

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

/** Anthropic counts cache reads apart from `input_tokens`; output includes thinking, as Anthropic bills it. */
export function anthropicUsage(meta: UsageMetadata | undefined): AnthropicUsage {
  const counts = usageCounts(meta);
  return {
    input_tokens: Math.max(0, counts.inputTokens - counts.cachedTokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: counts.cachedTokens,
    output_tokens: counts.outputTokens,
  };
}
