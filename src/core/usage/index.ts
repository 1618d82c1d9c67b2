/** Token accounting: whole bodies and stream taps. */
export { geminiUsage, openaiUsage, usageMetadataTokens } from './tokens.js';
export { OpenAIStreamTap } from './openai-stream-tap.js';
export { GeminiJsonArrayTap, GeminiSseTap } from './gemini-stream-taps.js';
