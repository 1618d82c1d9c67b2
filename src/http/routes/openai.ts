/**
 * OpenAI-compatible routes, forwarded to Google's OpenAI-compatible endpoint
 * (https://ai.google.dev/gemini-api/docs/openai). Served below `/v1/` and `/v1beta/openai/`.
 */
import type { ClientRoute, RouteEntry } from '../client-route.js';
import { decodePathSegment } from '../client-route.js';
import { GatewayError } from '../errors.js';
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

const chatCompletions: ClientRoute = async (req, maxBodyBytes) => {
  const { bytes, json } = await readJsonBody(req, maxBodyBytes);
  const model = validModel(json.model);
  if (json.stream !== undefined && typeof json.stream !== 'boolean') {
    throw new GatewayError(400, "'stream' must be a boolean", 'invalid_type', { param: 'stream' });
  }
  return {
    dialect: 'openai',
    endpoint: 'chat.completions',
    // `extra_body.google.cached_content` names a cache, which only its owner's project may use.
    resources: scanResources(bytes, json),
    model,
    path: `${UPSTREAM}/chat/completions`,
    method: 'POST',
    body: bytes,
    keyHeader: 'bearer',
    stream: json.stream === true ? 'openai-sse' : null,
    usage: 'openai',
  };
};

const embeddings: ClientRoute = async (req, maxBodyBytes) => {
  const { bytes, json } = await readJsonBody(req, maxBodyBytes);
  const model = validModel(json.model);
  if (json.input === undefined) {
    throw new GatewayError(400, "'input' is required", 'missing_input', { param: 'input' });
  }
  return {
    dialect: 'openai',
    endpoint: 'embeddings',
    model,
    path: `${UPSTREAM}/embeddings`,
    method: 'POST',
    body: bytes,
    keyHeader: 'bearer',
    stream: null,
    usage: 'openai',
  };
};

const listModels: ClientRoute = () => ({
  dialect: 'openai',
  endpoint: 'models.list',
  model: null,
  path: `${UPSTREAM}/models`,
  method: 'GET',
  keyHeader: 'bearer',
  stream: null,
  usage: 'none',
  rewrite: rewriteModelList,
});

const getModel: ClientRoute = (_req, _limit, id) => {
  const model = validModel(decodePathSegment(id), 'id');
  return {
    dialect: 'openai',
    endpoint: 'models.get',
    model: null,
    path: `${UPSTREAM}/models/${encodeURIComponent(model)}`,
    method: 'GET',
    keyHeader: 'bearer',
    stream: null,
    usage: 'none',
    rewrite: (json) => (typeof json === 'object' && json ? stripModelPrefix(json as ModelEntry) : json),
  };
};

/** Paths below `/v1/` and `/v1beta/openai/`. */
export const OPENAI_ROUTES: readonly RouteEntry[] = [
  { method: 'POST', path: 'chat/completions', route: chatCompletions },
  { method: 'POST', path: 'embeddings', route: embeddings },
  { method: 'GET', path: 'models', route: listModels },
  { method: 'GET', path: 'models/:id', route: getModel },
];
