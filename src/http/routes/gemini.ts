/**
 * Gemini's native API (https://ai.google.dev/api), served below `/v1beta/`. Bodies pass through
 * untouched; the pooled key goes upstream only in `x-goog-api-key`, never in the URL.
 */
import { GEMINI_JSON_ARRAY, GEMINI_NATIVE, GEMINI_SSE } from '../../dialects/gemini-native/dialect.js';
import type { StreamFormat } from '../../forward/dialect.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { GEMINI_NATIVE_API, geminiBodyUsage } from '../../forward/upstream-api.js';
import type { ClientRoute, RouteEntry } from '../client-route.js';
import { decodePathSegment } from '../client-route.js';
import { readJsonBody, validModel } from '../request-body.js';
import { scanResources } from '../../core/resources/reference-scan.js';
import { getModelOperation, longRunningPlan } from './gemini-resources.js';

const ACTIONS = new Set([
  'generateContent',
  'streamGenerateContent',
  'embedContent',
  'batchEmbedContents',
  'countTokens',
]);

/** The client's query minus its `key` (which is the client's access token, not Google's). */
function forwardedQuery(query: string, allowed: readonly string[]): string {
  if (query === '') return '';
  const params = new URLSearchParams(query);
  const out = new URLSearchParams();
  for (const name of allowed) {
    const value = params.get(name);
    if (value !== null) out.set(name, value);
  }
  const text = out.toString();
  return text ? `?${text}` : '';
}

function notFound(what: string): GatewayError {
  return new GatewayError(404, `${what} is not a supported Gemini API method`, 'not_found');
}

/** `POST /v1beta/models/{model}:{action}`. */
const callModel: ClientRoute = async (req, env, rawCall) => {
  const call = decodePathSegment(rawCall);
  const colon = call.lastIndexOf(':');
  if (colon <= 0) throw notFound(call.slice(0, 100));
  const action = call.slice(colon + 1);
  const longRunning = action === 'batchGenerateContent' || action === 'predictLongRunning';
  if (!ACTIONS.has(action) && !longRunning) throw notFound(action.slice(0, 100));
  const model = validModel(call.slice(0, colon));
  const { bytes, text, json } = await readJsonBody(req, env.maxBodyBytes);
  if (longRunning) {
    return longRunningPlan(action, model, `/v1beta/models/${encodeURIComponent(model)}:${action}`, {
      bytes,
      text,
      json,
    });
  }
  let stream: StreamFormat | null = null;
  let query = '';
  if (action === 'streamGenerateContent') {
    query = forwardedQuery(req.query, ['alt']);
    stream = query.includes('alt=sse') ? GEMINI_SSE : GEMINI_JSON_ARRAY;
  }
  return {
    endpoint: action,
    model,
    path: `/v1beta/models/${encodeURIComponent(model)}:${action}${query}`,
    method: 'POST',
    body: bytes,
    // File URIs and `cachedContent` name resources only their owner's project may use.
    resources: scanResources(text, json),
    upstream: GEMINI_NATIVE_API,
    stream,
    usage: action === 'countTokens' ? null : geminiBodyUsage,
  };
};

const listModels: ClientRoute = (req) => ({
  endpoint: 'models.list',
  model: null,
  path: `/v1beta/models${forwardedQuery(req.query, ['pageSize', 'pageToken'])}`,
  method: 'GET',
  upstream: GEMINI_NATIVE_API,
  stream: null,
  usage: null,
});

const getModel: ClientRoute = (_req, _limit, rawModel) => {
  const model = validModel(decodePathSegment(rawModel));
  return {
    endpoint: 'models.get',
    model: null,
    path: `/v1beta/models/${encodeURIComponent(model)}`,
    method: 'GET',
    upstream: GEMINI_NATIVE_API,
    stream: null,
    usage: null,
  };
};

/** Paths below `/v1beta/`. */
export const GEMINI_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: 'models', dialect: GEMINI_NATIVE, route: listModels },
  { method: 'POST', path: 'models/:call', param: /^[^/]+$/, dialect: GEMINI_NATIVE, route: callModel },
  { method: 'GET', path: 'models/:model', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: getModel },
  {
    method: 'GET',
    path: 'models/:operation',
    param: /^[^/:]+\/operations\/[^/:]+$/,
    dialect: GEMINI_NATIVE,
    route: getModelOperation,
  },
];
