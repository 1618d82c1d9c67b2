/**
 * OpenAI-compatible routes, forwarded to Google's OpenAI-compatible endpoint
 * (https://ai.google.dev/gemini-api/docs/openai). Served below `/v1/` and `/v1beta/openai/`.
 */
import { OPENAI_CHAT, OPENAI_CHAT_ON_GOOGLE_PATH, OPENAI_SSE } from '../../dialects/openai-chat/dialect.js';
import type { Dialect } from '../../forward/dialect.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { OPENAI_COMPAT_API, openaiBodyUsage } from '../../forward/upstream-api.js';
import type { ClientRoute, RouteEntry } from '../client-route.js';
import { decodePathSegment } from '../client-route.js';
import { embeddingEncoding, embeddingsAsBase64 } from './embedding-encoding.js';
import { readJsonBody, validModel } from '../request-body.js';
import { scanResources } from '../../core/resources/reference-scan.js';

const UPSTREAM = '/v1beta/openai';

type ModelEntry = Record<string, unknown> & { id?: unknown };

/** Google lists ids as `models/gemini-2.5-flash`; OpenAI clients expect `gemini-2.5-flash`. */
function stripModelPrefix(entry: ModelEntry): ModelEntry {
  return typeof entry.id === 'string' && entry.id.startsWith('models/')
    ? { ...entry, id: entry.id.slice(7) }
    : entry;
}

function rewriteModelList(json: unknown): unknown {
  const list = json as { data?: unknown };
  if (!Array.isArray(list.data)) return json;
  return {
    ...list,
    data: list.data.map((m) => (typeof m === 'object' && m ? stripModelPrefix(m as ModelEntry) : m)),
  };
}

const chatCompletions: ClientRoute = async (req, env) => {
  const { bytes, text, json } = await readJsonBody(req, env.maxBodyBytes);
  const model = validModel(json.model);
  if (json.stream !== undefined && typeof json.stream !== 'boolean') {
    throw new GatewayError(400, "'stream' must be a boolean", 'invalid_type', { param: 'stream' });
  }
  return {
    endpoint: 'chat.completions',
    // `extra_body.google.cached_content` names a cache, which only its owner's project may use.
    resources: scanResources(text, json),
    model,
    path: `${UPSTREAM}/chat/completions`,
    method: 'POST',
    body: bytes,
    upstream: OPENAI_COMPAT_API,
    stream: json.stream === true ? OPENAI_SSE : null,
    usage: openaiBodyUsage,
  };
};

const embeddings: ClientRoute = async (req, env) => {
  const { bytes, json } = await readJsonBody(req, env.maxBodyBytes);
  const model = validModel(json.model);
  if (json.input === undefined) {
    throw new GatewayError(400, "'input' is required", 'missing_input', { param: 'input' });
  }
  const base64 = embeddingEncoding(json.encoding_format) === 'base64';
  return {
    endpoint: 'embeddings',
    model,
    path: `${UPSTREAM}/embeddings`,
    method: 'POST',
    body: bytes,
    upstream: OPENAI_COMPAT_API,
    stream: null,
    usage: openaiBodyUsage,
    ...(base64 ? { rewrite: embeddingsAsBase64 } : {}),
  };
};

const listModels: ClientRoute = () => ({
  endpoint: 'models.list',
  model: null,
  path: `${UPSTREAM}/models`,
  method: 'GET',
  upstream: OPENAI_COMPAT_API,
  stream: null,
  usage: null,
  rewrite: rewriteModelList,
});

const getModel: ClientRoute = (_req, _limit, id) => {
  const model = validModel(decodePathSegment(id), 'id');
  return {
    endpoint: 'models.get',
    model: null,
    path: `${UPSTREAM}/models/${encodeURIComponent(model)}`,
    method: 'GET',
    upstream: OPENAI_COMPAT_API,
    stream: null,
    usage: null,
    rewrite: (json) => (typeof json === 'object' && json ? stripModelPrefix(json as ModelEntry) : json),
  };
};

function openaiRoutes(dialect: Dialect): readonly RouteEntry[] {
  return [
    { method: 'POST', path: 'chat/completions', dialect, route: chatCompletions },
    { method: 'POST', path: 'embeddings', dialect, route: embeddings },
    { method: 'GET', path: 'models', dialect, route: listModels },
    { method: 'GET', path: 'models/:id', dialect, route: getModel },
  ];
}

/** Paths below `/v1/`. */
export const OPENAI_ROUTES = openaiRoutes(OPENAI_CHAT);
/** The same below `/v1beta/openai/`, Google's path for its OpenAI-compatible endpoint. */
export const OPENAI_ROUTES_ON_GOOGLE_PATH = openaiRoutes(OPENAI_CHAT_ON_GOOGLE_PATH);
