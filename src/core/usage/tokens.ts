/**
 * Token counts from response bodies.
 * OpenAI shape: https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
 * Gemini shape: https://ai.google.dev/api/generate-content#UsageMetadata
 */
import type { Tokens } from '../types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** `usage.{prompt_tokens, completion_tokens, total_tokens}`; total falls back to the sum. Null without `usage`. */
export function openaiUsage(body: unknown): Tokens | null {
  if (!isObject(body) || !isObject(body.usage)) return null;
  const u = body.usage;
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  return { prompt, completion, total: count(u.total_tokens) || prompt + completion };
}

/** Tokens of one `usageMetadata` object: completion counts candidates plus thoughts. */
export function usageMetadataTokens(meta: unknown): Tokens | null {
  if (!isObject(meta)) return null;
  const prompt = count(meta.promptTokenCount);
  const completion = count(meta.candidatesTokenCount) + count(meta.thoughtsTokenCount);
  return { prompt, completion, total: count(meta.totalTokenCount) || prompt + completion };
}
