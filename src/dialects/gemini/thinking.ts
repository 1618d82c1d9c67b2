/**
 * Client reasoning settings → Gemini's `thinkingConfig`. Gemini 3 models take a `thinkingLevel`
 * (every Gemini 3 model takes `low` and `high`; `minimal` and `medium` only some, so only the two
 * safe levels are sent); Gemini 2.5 models take a `thinkingBudget` in tokens (Pro cannot turn
 * thinking off: its least is 128). A request may not carry both.
 * Spec: https://ai.google.dev/gemini-api/docs/thinking
 */
import type { ThinkingConfig } from './types.js';

/** OpenAI's reasoning efforts (Responses `reasoning.effort`, chat `reasoning_effort`). */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

const BUDGETS: Record<ReasoningEffort, number> = {
  none: 0,
  minimal: 0,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 24576,
};
/** Above this budget a Gemini 3 model is asked for `high`. */
const HIGH_LEVEL_FROM = 8192;
const PRO_MIN_BUDGET = 128;

/** Whether the model thinks by level (Gemini 3 and later) rather than by budget. */
export function thinksByLevel(model: string): boolean {
  const m = /^(?:models\/)?gemini-(\d+)/.exec(model);
  return m !== null && Number(m[1]) >= 3;
}

const isPro = (model: string): boolean => /-pro\b/.test(model);

/** Thinking settings for an effort; `includeThoughts` asks for thought summaries. */
export function thinkingForEffort(
  model: string,
  effort: ReasoningEffort,
  includeThoughts: boolean,
): ThinkingConfig {
  return thinkingForBudget(model, BUDGETS[effort], includeThoughts);
}

/** Thinking settings for a token budget (0: as little thinking as the model allows). */
export function thinkingForBudget(model: string, budget: number, includeThoughts: boolean): ThinkingConfig {
  const config: ThinkingConfig = {};
  if (thinksByLevel(model)) config.thinkingLevel = budget > HIGH_LEVEL_FROM ? 'high' : 'low';
  else config.thinkingBudget = isPro(model) ? Math.max(PRO_MIN_BUDGET, budget) : budget;
  if (includeThoughts) config.includeThoughts = true;
  return config;
}
