/**
 * Walks the route table (Hono's, plus the client API's own) and proves that every endpoint but `/healthz` and the panel's static
 * assets refuses a request without the right token, before anything reaches the upstream.
 * A route added later is covered automatically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEndpoints } from '../../src/http/client-api.js';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

/** The only endpoints that answer without a token. */
const PUBLIC = new Set(['GET /healthz', 'GET /admin', 'GET /admin/', 'GET /admin/*']);

const SAMPLES: Record<string, string> = {
  id: '1',
  call: 'gemini-2.5-flash:generateContent',
  model: 'gemini-2.5-flash',
};

let mock: MockGemini;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('routes')] });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

/**
 * Every endpoint. In Hono's table, middleware and the client API's mounts show up as method ALL and
 * are left out; the client API lists its own routes.
 */
function endpoints(): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ method: string; path: string }> = [];
  for (const route of [...gw.running.gateway.app.routes, ...clientEndpoints()]) {
    const id = `${route.method} ${route.path}`;
    if (route.method === 'ALL' || seen.has(id)) continue;
    seen.add(id);
    out.push({ method: route.method, path: route.path });
  }
  return out;
}

/** A concrete URL path for a route pattern: `:name{regex}` and `:name` get samples, `*` a file. */
function concrete(pattern: string): string {
  return pattern
    .replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => SAMPLES[name] ?? 'x')
    .replace(/\*/g, 'index.html');
}

async function call(method: string, path: string, headers: Record<string, string>) {
  const res = await fetch(gw.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** A successful admin call clears the failure count, so the sign-in slowdown never masks a 401. */
const clearFailures = () => gw.admin('GET', '/session');

describe('the route table', () => {
  it('lists the routes the gateway is known to serve', () => {
    const ids = endpoints().map((e) => `${e.method} ${e.path}`);
    expect(ids.length).toBeGreaterThanOrEqual(30);
    for (const id of [
      'POST /v1/chat/completions',
      'GET /v1/models/:id',
      'POST /v1beta/openai/embeddings',
      'POST /v1beta/models/:call',
      'GET /v1beta/models/:model',
      'GET /admin/api/keys',
      'PUT /admin/api/config',
      'DELETE /admin/api/tokens/:id',
      ...PUBLIC,
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('refuses every non-public endpoint without a token, with a wrong token, and with the other kind of token', async () => {
    const checked: string[] = [];
    for (const { method, path: pattern } of endpoints()) {
      const id = `${method} ${pattern}`;
      if (PUBLIC.has(id)) continue;
      const path = concrete(pattern);
      const admin = !pattern.startsWith('/v1') && !pattern.startsWith('/upload/');
      // An access token is not an admin token, and the admin token is not an access token.
      const otherKind = admin ? gw.accessToken : gw.adminToken;
      const variants: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer not-a-token' },
        { authorization: `Bearer ${otherKind}` },
        { authorization: `Basic ${btoa(`admin:${gw.adminToken}`)}` },
      ];
      if (!admin) variants.push({ 'x-goog-api-key': 'not-a-token' });
      for (const headers of variants) {
        const res = await call(method, path, headers);
        expect(res.status, `${id} with ${JSON.stringify(Object.keys(headers))}`).toBe(401);
        // A refusal of an admin route is as private as its answer: never cached, never sniffed.
        if (admin) {
          expect(res.headers.get('cache-control'), id).toBe('no-store');
          expect(res.headers.get('x-content-type-options'), id).toBe('nosniff');
        }
        const error = JSON.parse(res.text).error;
        // Gemini's native API (models, files, caches, batches, operations, uploads) answers in Google's shape.
        const google =
          (pattern.startsWith('/v1beta/') && !pattern.startsWith('/v1beta/openai/')) ||
          pattern.startsWith('/upload/');
        if (google) expect(error.status).toBe('UNAUTHENTICATED');
        else expect(error.type).toBe('authentication_error');
        if (admin) await clearFailures();
      }
      checked.push(id);
    }
    expect(checked.length).toBe(endpoints().length - PUBLIC.size);
    expect(mock.stats().requests).toBe(0);
  });

  it('answers the public endpoints without a token, and they expose no data', async () => {
    const health = await call('GET', '/healthz', {});
    expect(health.status).toBe(200);
    expect(Object.keys(JSON.parse(health.text)).sort()).toEqual([
      'change_feed',
      'database',
      'keys',
      'pending_writes',
      'status',
      'usable_keys',
    ]);
    expect((await call('GET', '/admin', {})).status).toBe(301);
    const panel = await fetch(`${gw.url}/admin/`);
    expect(panel.headers.get('content-type')).toMatch(/^text\/(html|plain)/);
    await panel.text();
    // The panel's wildcard serves files only: API paths under it still need the admin token.
    for (const path of ['/admin/api/keys', '/admin/api/anything', '/admin/api/']) {
      expect((await call('GET', path, {})).status, path).toBe(401);
      await clearFailures();
    }
    expect(mock.stats().requests).toBe(0);
  });

  it('accepts the right token on the same endpoints (the walk is not refusing everything)', async () => {
    expect((await call('GET', '/v1/models', { authorization: `Bearer ${gw.accessToken}` })).status).toBe(200);
    expect((await call('GET', '/v1beta/models', { 'x-goog-api-key': gw.accessToken })).status).toBe(200);
    expect((await call('GET', '/admin/api/keys', { authorization: `Bearer ${gw.adminToken}` })).status).toBe(
      200,
    );
    expect((await call('GET', '/metrics', { authorization: `Bearer ${gw.adminToken}` })).status).toBe(200);
  });
});
