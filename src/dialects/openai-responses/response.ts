/** A buffered Gemini `generateContent` answer → a Responses object. */
import type { GenerateContentResponse } from '../gemini/types.js';
import { ResponseBuilder, type BuildContext } from './builder.js';
import type { ResponseObject } from './types.js';

export function responseFromGemini(gemini: GenerateContentResponse, ctx: BuildContext): ResponseObject {
  const builder = new ResponseBuilder(ctx);
  builder.add(gemini);
  return builder.finish();
}
