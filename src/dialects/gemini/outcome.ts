/**
 * What a Gemini candidate's end and `usageMetadata` mean in terms every client dialect maps from.
 * Spec: https://ai.google.dev/api/generate-content#FinishReason and #UsageMetadata
 */
import type { FinishReason, GenerateContentResponse, UsageMetadata } from './types.js';

/**
 * Why generation ended, dialect-neutral:
 * - `stop`: a natural end or a stop sequence (Gemini does not tell them apart);
 * - `tool_calls`: the turn ends in function calls (Gemini says STOP; the parts tell);
 * - `max_tokens`: the output limit was reached;
 * - `content_filter`: blocked (safety, recitation, blocklist, prohibited content, SPII…);
 * - `error`: the model produced something unusable (a malformed function call, OTHER).
 */
export type StopKind = 'stop' | 'tool_calls' | 'max_tokens' | 'content_filter' | 'error';

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/** The stop kind of a finished candidate. `sawFunctionCall`: the turn contained a functionCall part. */
export function stopKind(reason: FinishReason | undefined, sawFunctionCall: boolean): StopKind {
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  if (sawFunctionCall) return 'tool_calls';
  if (reason === undefined || reason === 'STOP' || reason === 'FINISH_REASON_UNSPECIFIED') return 'stop';
  return 'error';
}

/** A prompt blocked before any candidate: `promptFeedback.blockReason`, or null. */
export function promptBlockReason(response: GenerateContentResponse): string | null {
  const reason = response.promptFeedback?.blockReason;
  return typeof reason === 'string' && reason !== '' ? reason : null;
}

/** Token counts every dialect reports, from one (the last, cumulative) `usageMetadata`. */
export interface UsageCounts {
  /** The whole prompt, cached part included. */
  inputTokens: number;
  /** Of `inputTokens`, served from the context cache. */
  cachedTokens: number;
  /** Visible output plus thinking: what the model was billed for producing. */
  outputTokens: number;
  /** Of `outputTokens`, spent thinking. */
  reasoningTokens: number;
  totalTokens: number;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

export function usageCounts(meta: UsageMetadata | undefined): UsageCounts {
  const inputTokens = count(meta?.promptTokenCount);
  const reasoningTokens = count(meta?.thoughtsTokenCount);
  const outputTokens = count(meta?.candidatesTokenCount) + reasoningTokens;
  return {
    inputTokens,
    cachedTokens: count(meta?.cachedContentTokenCount),
    outputTokens,
    reasoningTokens,
    totalTokens: count(meta?.totalTokenCount) || inputTokens + outputTokens,
  };
}
