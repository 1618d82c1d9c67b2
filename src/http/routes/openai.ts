/**
 * OpenAI-compatible routes, forwarded to Google's OpenAI-compatible endpoint
 * (https://ai.google.dev/gemini-api/docs/openai). Mounted at `/v1` and at `/v1beta/openai`.
 */
import { Hono } from 'hono';
import type { AppEnv, RouteDeps } from '../context.js';
import { planBase } from '../context.js';
import { readJsonBody, validModel } from '../request-body.js';
import { GatewayError } from '../errors.js';

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

export function openaiRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/chat/completions', async (c) => {
    const { bytes, json } = await readJsonBody(c.req.raw, deps.maxBodyBytes);
    const model = validModel(json.model);
    if (json.stream !== undefined && typeof json.stream !== 'boolean') {
      throw new GatewayError(400, "'stream' must be a boolean", 'invalid_type', { param: 'stream' });
    }
    return deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'openai',
      endpoint: 'chat.completions',
      model,
      path: `${UPSTREAM}/chat/completions`,
      method: 'POST',
      body: bytes,
      keyHeader: 'bearer',
      stream: json.stream === true ? 'openai-sse' : null,
      usage: 'openai',
    });
  });

  app.post('/embeddings', async (c) => {
    const { bytes, json } = await readJsonBody(c.req.raw, deps.maxBodyBytes);
    const model = validModel(json.model);
    if (json.input === undefined) {
      throw new GatewayError(400, "'input' is required", 'missing_input', { param: 'input' });
    }
    return deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'openai',
      endpoint: 'embeddings',
      model,
      path: `${UPSTREAM}/embeddings`,
      method: 'POST',
      body: bytes,
      keyHeader: 'bearer',
      stream: null,
      usage: 'openai',
    });
  });

  app.get('/models', (c) =>
    deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'openai',
      endpoint: 'models.list',
      model: null,
      path: `${UPSTREAM}/models`,
      method: 'GET',
      keyHeader: 'bearer',
      stream: null,
      usage: 'none',
      rewrite: rewriteModelList,
    }),
  );

  app.get('/models/:id{.+}', (c) => {
    const model = validModel(decodeURIComponent(c.req.param('id')), 'id');
    return deps.proxy.forward({
      ...planBase(c, deps),
      dialect: 'openai',
      endpoint: 'models.get',
      model: null,
      path: `${UPSTREAM}/models/${encodeURIComponent(model)}`,
      method: 'GET',
      keyHeader: 'bearer',
      stream: null,
      usage: 'none',
      rewrite: (json) => (typeof json === 'object' && json ? stripModelPrefix(json as ModelEntry) : json),
    });
  });

  return app;
}
