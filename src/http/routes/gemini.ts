/**
 * Gemini's native API (https://ai.google.dev/api), served below `/v1beta/`. Bodies pass through
 * untouched; the pooled key goes upstream only in `x-goog-api-key`, never in the URL.
 */
import type { ClientRoute, RouteEntry } from '../client-route.js';
import { decodePathSegment } from '../client-route.js';
import { GatewayError } from '../errors.js';
import type { StreamKind } from '../../forward/stream-relay.js';
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
const callModel: ClientRoute = async (req, maxBodyBytes, rawCall) => {
  const call = decodePathSegment(rawCall);
  const colon = call.lastIndexOf(':');
  if (colon <= 0) throw notFound(call.slice(0, 100));
  const action = call.slice(colon + 1);
  const longRunning = action === 'batchGenerateContent' || action === 'predictLongRunning';
  if (!ACTIONS.has(action) && !longRunning) throw notFound(action.slice(0, 100));
  const model = validModel(call.slice(0, colon));
  const { bytes, json } = await readJsonBody(req, maxBodyBytes);
  if (longRunning) {
    return longRunningPlan(
      action,
      model,
      `/v1beta/models/${encodeURIComponent(model)}:${action}`,
      bytes,
      json,
    );
  }
  let stream: StreamKind | null = null;
  let query = '';
  if (action === 'streamGenerateContent') {
    query = forwardedQuery(req.query, ['alt']);
    stream = query.includes('alt=sse') ? 'gemini-sse' : 'gemini-json-array';
  }
  return {
    dialect: 'gemini',
    endpoint: action,
    model,
    path: `/v1beta/models/${encodeURIComponent(model)}:${action}${query}`,
    method: 'POST',
    body: bytes,
    // File URIs and `cachedContent` name resources only their owner's project may use.
    resources: scanResources(bytes, json),
    keyHeader: 'goog',
    stream,
    usage: action === 'countTokens' ? 'none' : 'gemini',
  };
};

const listModels: ClientRoute = (req) => ({
  dialect: 'gemini',
  endpoint: 'models.list',
  model: null,
  path: `/v1beta/models${forwardedQuery(req.query, ['pageSize', 'pageToken'])}`,
  method: 'GET',
  keyHeader: 'goog',
  stream: null,
  usage: 'none',
});

const getModel: ClientRoute = (_req, _limit, rawModel) => {
  const model = validModel(decodePathSegment(rawModel));
  return {
    dialect: 'gemini',
    endpoint: 'models.get',
    model: null,
    path: `/v1beta/models/${encodeURIComponent(model)}`,
    method: 'GET',
    keyHeader: 'goog',
    stream: null,
    usage: 'none',
  };
};

/** Paths below `/v1beta/`. */
export const GEMINI_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: 'models', route: listModels },
  { method: 'POST', path: 'models/:call', param: /^[^/]+$/, route: callModel },
  { method: 'GET', path: 'models/:model', param: /^[^/:]+$/, route: getModel },
  {
    method: 'GET',
    path: 'models/:operation',
    param: /^[^/:]+\/operations\/[^/:]+$/,
    route: getModelOperation,
  },
];
