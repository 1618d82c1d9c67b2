/**
 * OpenAI's Responses API below `/v1/`, translated to Gemini's native API: `POST responses`
 * (streaming or not). The gateway stores no responses, so `GET responses/:id` answers a clear 404.
 * Model names resolve through `model_aliases`; the usage row records the Gemini model that answered.
 */
import { resolveModel } from '../../core/model-aliases.js';
import { generatePath } from '../../dialects/gemini/paths.js';
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { OPENAI_RESPONSES, responsesStream } from '../../dialects/openai-responses/dialect.js';
import { TranslationError } from '../../dialects/openai-responses/errors.js';
import { randomId } from '../../dialects/openai-responses/ids.js';
import { translateRequest, type TranslatedRequest } from '../../dialects/openai-responses/request.js';
import { responseFromGemini } from '../../dialects/openai-responses/response.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { GEMINI_NATIVE_API, geminiBodyUsage } from '../../forward/upstream-api.js';
import type { ClientRoute, RouteEntry } from '../client-route.js';
import { readJsonBody, validModel } from '../request-body.js';

const encoder = new TextEncoder();

function translate(json: Record<string, unknown>, requested: string, model: string): TranslatedRequest {
  try {
    return translateRequest(json, requested, model);
  } catch (err) {
    if (!(err instanceof TranslationError)) throw err;
    throw new GatewayError(err.status, err.message, err.code, err.param ? { param: err.param } : {});
  }
}

const createResponse: ClientRoute = async (req, env) => {
  const { json } = await readJsonBody(req, env.maxBodyBytes);
  const requested = validModel(json.model);
  const model = validModel(resolveModel(env.config.modelAliases, requested));
  const { gemini, stream, echo } = translate(json, requested, model);
  const ctx = { id: randomId('resp'), createdAt: Math.floor(Date.now() / 1000), echo, newId: randomId };
  return {
    endpoint: 'responses',
    model,
    path: generatePath(model, stream),
    method: 'POST',
    body: encoder.encode(JSON.stringify(gemini)),
    upstream: GEMINI_NATIVE_API,
    stream: stream ? responsesStream(ctx) : null,
    usage: geminiBodyUsage,
    rewrite: (response) => responseFromGemini(response as GenerateContentResponse, ctx),
  };
};

const getResponse: ClientRoute = () => {
  throw new GatewayError(
    404,
    'This gateway stores no responses: send store: false and the whole conversation in input',
    'response_not_found',
  );
};

/** Paths below `/v1/`. */
export const RESPONSES_ROUTES: readonly RouteEntry[] = [
  { method: 'POST', path: 'responses', dialect: OPENAI_RESPONSES, route: createResponse },
  { method: 'GET', path: 'responses/:id', dialect: OPENAI_RESPONSES, route: getResponse },
];
