/**
 * The admin API, the metrics endpoint and the panel send no permissive CORS: no
 * `Access-Control-Allow-Origin`, and a cross-origin preflight is never granted. The client API may
 * allow any origin (tokens travel in headers, never cookies), but never with credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

const ORIGIN = 'https://evil.example';
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-allow-credentials',
  'access-control-expose-headers',
];

let mock: MockGemini;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('cors')] });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

/** Admin-side endpoints from the route table, with sample ids. */
function adminEndpoints(): Array<{ method: string; path: string }> {
  const out = new Map<string, { method: string; path: string }>();
  for (const route of gw.running.gateway.app.routes) {
    if (route.method === 'ALL' || route.path.startsWith('/v1') || route.path === '/healthz') continue;
    const path = route.path.replace(/:\w+(\{[^}]*\})?/g, '1').replace(/\*/g, 'index.html');
    out.set(`${route.method} ${path}`, { method: route.method, path });
  }
  return [...out.values()];
}

function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CORS_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

describe('admin routes', () => {
  it('never grant a cross-origin preflight', async () => {
    const endpoints = adminEndpoints();
    expect(endpoints.length).toBeGreaterThan(15);
    for (const { method, path } of endpoints) {
      const res = await fetch(gw.url + path, {
        method: 'OPTIONS',
        headers: {
          origin: ORIGIN,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      await res.text();
      expect(corsHeaders(res), `OPTIONS ${path}`).toEqual({});
      expect(res.status, `OPTIONS ${path}`).toBeGreaterThanOrEqual(400);
      // A refused preflight counts as a failed sign-in; clear it so later ones still get 401.
      await gw.admin('GET', '/session');
    }
  });

  it('send no Access-Control-Allow-Origin on real answers, with or without the token', async () => {
    for (const path of ['/admin/api/keys', '/admin/api/config', '/admin/api/stats', '/metrics']) {
      for (const authorization of [`Bearer ${gw.adminToken}`, 'Bearer wrong']) {
        const res = await fetch(gw.url + path, { headers: { origin: ORIGIN, authorization } });
        await res.text();
        expect(corsHeaders(res), `${path} (${authorization.slice(7, 12)})`).toEqual({});
      }
      await gw.admin('GET', '/session');
    }
    for (const path of ['/admin/', '/admin/index.html', '/healthz']) {
      const res = await fetch(gw.url + path, { headers: { origin: ORIGIN } });
      await res.text();
      expect(corsHeaders(res), path).toEqual({});
    }
  });
});

describe('client routes', () => {
  it('may allow any origin, but never with credentials, and still need the token', async () => {
    const preflight = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    await preflight.text();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const anonymous = await fetch(`${gw.url}/v1/models`, { headers: { origin: ORIGIN } });
    expect(anonymous.status).toBe(401);
    await anonymous.text();
    expect(anonymous.headers.get('access-control-allow-credentials')).toBeNull();
    expect(mock.stats().requests).toBe(0);
  });

  it('answers browsers (requests with Origin) with CORS headers, and leaves other requests without them', async () => {
    const preflight = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os',
      },
    });
    await preflight.text();
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-stainless-os');
    const auth = { authorization: `Bearer ${gw.accessToken}` };
    const browser = await fetch(`${gw.url}/v1/models`, { headers: { ...auth, origin: ORIGIN } });
    await browser.text();
    expect(browser.status).toBe(200);
    expect(browser.headers.get('access-control-allow-origin')).toBe('*');
    const server = await fetch(`${gw.url}/v1/models`, { headers: auth });
    await server.text();
    expect(server.status).toBe(200);
    expect(server.headers.get('access-control-allow-origin')).toBeNull();
  });
});
