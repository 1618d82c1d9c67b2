/**
 * Anthropic's Messages API below `/v1/`, translated to Gemini's native API: `POST messages`
 * (streaming or not), `POST messages/count_tokens`, and `GET models` / `GET models/:id` for
 * requests that carry `anthropic-version`. Model names resolve through `model_aliases`; the usage
 * row records the Gemini model that answered.
 */
import { resolveModel } from '../../core/model-aliases.js';
import { ANTHROPIC } from '../../dialects/anthropic/dialect.js';
import { anthropicModel, anthropicModelList } from '../../dialects/anthropic/models.js';
import { countTokensToGemini, messagesToGemini } from '../../dialects/anthropic/request.js';
import { geminiToMessage } from '../../dialects/anthropic/response.js';
import { anthropicStream } from '../../dialects/anthropic/stream.js';
import { countTokensPath, generatePath } from '../../dialects/gemini/paths.js';
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { GEMINI_NATIVE_API, geminiBodyUsage } from '../../forward/upstream-api.js';
import type { ClientRoute, RouteEntry, RouteEnv } from '../client-route.js';
import { decodePathSegment } from '../client-route.js';
import { readJsonBody, validModel } from '../request-body.js';

const encoder = new TextEncoder();

async function readMessages(req: Parameters<ClientRoute>[0], env: RouteEnv) {
  const { json } = await readJsonBody(req, env.maxBodyBytes);
  const requested = validModel(json.model);
  const model = validModel(resolveModel(env.config.modelAliases, requested));
  return { json, requested, model };
}

const messages: ClientRoute = async (req, env) => {
  const { json, requested, model } = await readMessages(req, env);
  if (json.stream !== undefined && typeof json.stream !== 'boolean') {
    throw new GatewayError(400, 'stream must be a boolean', 'invalid_request_error', { param: 'stream' });
  }
  const stream = json.stream === true;
  const body = encoder.encode(JSON.stringify(messagesToGemini(json, model)));
  return {
    endpoint: 'messages',
    model,
    path: generatePath(model, stream),
    method: 'POST',
    body,
    upstream: GEMINI_NATIVE_API,
    stream: stream ? anthropicStream(requested) : null,
    usage: geminiBodyUsage,
    rewrite: (response) => geminiToMessage(response as GenerateContentResponse, requested),
  };
};

const countTokens: ClientRoute = async (req, env) => {
  const { json, model } = await readMessages(req, env);
  return {
    endpoint: 'messages.count_tokens',
    model,
    path: countTokensPath(model),
    method: 'POST',
    body: encoder.encode(JSON.stringify(countTokensToGemini(json, model))),
    upstream: GEMINI_NATIVE_API,
    stream: null,
    usage: null,
    rewrite: (response) => ({ input_tokens: (response as { totalTokens?: number }).totalTokens ?? 0 }),
  };
};

const listModels: ClientRoute = () => ({
  endpoint: 'models.list',
  model: null,
  path: '/v1beta/models?pageSize=1000',
  method: 'GET',
  upstream: GEMINI_NATIVE_API,
  stream: null,
  usage: null,
  rewrite: anthropicModelList,
});

const getModel: ClientRoute = (_req, env, id) => {
  const model = validModel(
    resolveModel(env.config.modelAliases, validModel(decodePathSegment(id), 'model_id')),
  );
  return {
    endpoint: 'models.get',
    model: null,
    path: `/v1beta/models/${encodeURIComponent(model)}`,
    method: 'GET',
    upstream: GEMINI_NATIVE_API,
    stream: null,
    usage: null,
    rewrite: anthropicModel,
  };
};

/** The request header that marks an Anthropic client on paths it shares with OpenAI's. */
export const ANTHROPIC_VERSION = 'anthropic-version';

/** Paths below `/v1/`. */
export const ANTHROPIC_ROUTES: readonly RouteEntry[] = [
  { method: 'POST', path: 'messages', dialect: ANTHROPIC, route: messages },
  { method: 'POST', path: 'messages/count_tokens', dialect: ANTHROPIC, route: countTokens },
];

/** `GET models` and `GET models/:id` in Anthropic's shape, chosen by `anthropic-version`. */
export const ANTHROPIC_MODEL_ROUTES = {
  list: { method: 'GET', path: 'models', dialect: ANTHROPIC, route: listModels },
  get: { method: 'GET', path: 'models/:id', dialect: ANTHROPIC, route: getModel },
} as const satisfies Record<string, RouteEntry>;
