/**
 * Gemini's native API (https://ai.google.dev/api), mounted at `/v1beta`. Bodies pass through
 * untouched; the pooled key goes upstream only in `x-goog-api-key`, never in the URL.
 */
import { Hono } from 'hono';
import type { AppEnv, RouteDeps } from '../context.js';
import { planBase } from '../context.js';
import { GatewayError } from '../errors.js';
import type { StreamKind } from '../stream-pipe.js';
import { readJsonBody, validModel } from '../request-body.js';

const ACTIONS = new Set([
  'generateContent',
  'streamGenerateContent',
  'embedContent',
  'batchEmbedContents',
  'countTokens',
]);

/** The client's query string minus its `key` (which is the client's access token, not Google's). */
function forwardedQuery(url: string, allowed: readonly string[]): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const params = new URLSearchParams(url.slice(q + 1));
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

export function geminiRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/models/:call{[^/]+}', async (c) => {
    const call = decodeURIComponent(c.req.param('call'));
    const colon = call.lastIndexOf(':');
    if (colon <= 0) throw notFound(call.slice(0, 100));
    const action = call.slice(colon + 1);
    if (!ACTIONS.has(action)) throw notFound(action.slice(0, 100));
    const model = validModel(call.slice(0, colon));
    const { bytes } = await readJsonBody(c.req.raw, deps.maxBodyBytes);
    let stream: StreamKind | null = null;
    let query = '';
    if (action === 'streamGenerateContent') {
      query = forwardedQuery(c.req.url, ['alt']);
      stream = query.includes('alt=sse') ? 'gemini-sse' : 'gemini-json-array';
    }
    return deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'gemini',
      endpoint: action,
      model,
      path: `/v1beta/models/${encodeURIComponent(model)}:${action}${query}`,
      method: 'POST',
      body: bytes,
      keyHeader: 'goog',
      stream,
      usage: action === 'countTokens' ? 'none' : 'gemini',
    });
  });

  app.get('/models', (c) =>
    deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'gemini',
      endpoint: 'models.list',
      model: null,
      path: `/v1beta/models${forwardedQuery(c.req.url, ['pageSize', 'pageToken'])}`,
      method: 'GET',
      keyHeader: 'goog',
      stream: null,
      usage: 'none',
    }),
  );

  app.get('/models/:model{[^/:]+}', (c) => {
    const model = validModel(decodeURIComponent(c.req.param('model')));
    return deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'gemini',
      endpoint: 'models.get',
      model: null,
      path: `/v1beta/models/${encodeURIComponent(model)}`,
      method: 'GET',
      keyHeader: 'goog',
      stream: null,
      usage: 'none',
    });
  });

  return app;
}
