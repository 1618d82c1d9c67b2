/**
 * Upstream bodies copied verbatim from /work/shared/gemini-wire.md (real Gemini responses), as raw
 * text so tests see exactly these bytes.
 * Spec: https://ai.google.dev/gemini-api/docs/troubleshooting
 */

/** A non-streaming chat completion from the OpenAI-compatible endpoint. */
export const OPENAI_CHAT_COMPLETION =
  '{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"Hello!","role":"assistant"}}],"created":1766470234,"id":"WTJKadyrE5y7juMPkaCRKQ","model":"gemini-2.5-flash","object":"chat.completion","usage":{"completion_tokens":22,"prompt_tokens":46,"total_tokens":68}}';

/** An OpenAI-compatible stream: cumulative usage on every chunk, a tool call without `index`, then `[DONE]`. */
export const OPENAI_CHAT_STREAM =
  'data: {"choices":[{"delta":{"content":"1","role":"assistant"},"index":0}],"created":1772149571,"id":"Q9ugadePBtbAqtsPx5e1iAE","model":"gemini-3-flash-preview","object":"chat.completion.chunk","usage":{"completion_tokens":1,"prompt_tokens":9,"total_tokens":103}}\n\ndata: {"choices":[{"delta":{"role":"assistant","tool_calls":[{"function":{"arguments":"{\\"city\\":\\"Paris\\"}","name":"get_weather"},"id":"function-call-1","type":"function","extra_content":{"google":{"thought_signature":"CpcB..."}}}]},"finish_reason":"tool_calls","index":0}],"created":1772149571,"id":"Q9ugadePBtbAqtsPx5e1iAE","model":"gemini-3-flash-preview","object":"chat.completion.chunk","usage":{"completion_tokens":12,"prompt_tokens":40,"total_tokens":150}}\n\ndata: [DONE]\n\n';

/** Invalid key, 400 (native envelope). */
export const INVALID_KEY_400 =
  '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key not valid. Please pass a valid API key."}]}}';

/** Suspended key, 403, with the consumer project number in `ErrorInfo.metadata`. */
export const SUSPENDED_403 =
  '{"error":{"code":403,"message":"Permission denied: Consumer \'api_key:AIza\u2026\' has been suspended.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CONSUMER_SUSPENDED","domain":"googleapis.com","metadata":{"consumer":"projects/895908428397","service":"generativelanguage.googleapis.com"}}]}}';

/** Per-day quota exhausted for one model, 429. */
export const QUOTA_PER_DAY_429 =
  '{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. \u2026\\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 20, model: gemini-2.5-flash\\nPlease retry in 58.821668433s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"model":"gemini-2.5-flash","location":"global"},"quotaValue":"20"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"58s"}]}}';

/** The per-minute form of the same 429: identical except for `quotaId`, as gemini-wire.md describes. */
export const QUOTA_PER_MINUTE_429 = QUOTA_PER_DAY_429.replace(
  'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
  'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
);

/** Model overloaded, 503: a Gemini-side fault. */
export const OVERLOADED_503 =
  '{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}';

/** Internal error, 500: a Gemini-side fault. */
export const INTERNAL_500 =
  '{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}';

/** Unknown model, 404: the client's fault. */
export const MODEL_NOT_FOUND_404 =
  '{"error":{"code":404,"message":"models/gemini-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}';

/** Unknown request field, 400, in the OpenAI-compatible endpoint's array envelope: the client's fault. */
export const BAD_FIELD_400_ARRAY =
  '[{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \\"web_search_options\\": Cannot find field.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"description":"Invalid JSON payload received. Unknown name \\"web_search_options\\": Cannot find field."}]}]}}]';
