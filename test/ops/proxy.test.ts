/**
 * The Node upstream through an outbound proxy: a tiny forward proxy written here (CONNECT tunnels
 * and absolute-form requests on 127.0.0.1) counts what passes through it. The mock upstream is
 * http://127.0.0.1, so HTTP_PROXY applies; NO_PROXY must bypass it.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readNodeSettings, SettingsError } from '../../src/runtime/node/env.js';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat } from './helpers.js';

interface ForwardProxy {
  url: string;
  /** CONNECT targets, one per tunnel. */
  tunnels: string[];
  /** Request lines seen inside tunnels and in absolute form, e.g. `POST /v1beta/openai/chat/completions`. */
  requests: () => string[];
  close(): Promise<void>;
}

/** Request lines inside a tunnel: a request may follow the previous body with no separator. */
const REQUEST_LINE = /((?:GET|POST) \/\S*) HTTP\/1\.1\r\n/g;

async function startForwardProxy(): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const streams: string[] = [];
  const absolute: string[] = [];
  const server: Server = createServer((req, res) => {
    // Absolute-form forwarding (`GET http://host/path`), for clients that do not tunnel.
    const target = new URL(req.url ?? '');
    absolute.push(`${req.method} ${target.pathname}${target.search}`);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const index = streams.push('') - 1;
    const target = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) target.write(head);
      client.on('data', (chunk: Buffer) => (streams[index] += chunk.toString('latin1')));
      client.pipe(target);
      target.pipe(client);
    });
    const close = () => {
      client.destroy();
      target.destroy();
    };
    target.on('error', close);
    client.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    requests: () => [
      ...absolute,
      ...streams.flatMap((s) => [...s.matchAll(REQUEST_LINE)].map((m) => m[1] as string)),
    ],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let mock: MockGemini;
let proxy: ForwardProxy;
let gw: TestGateway | undefined;

beforeAll(async () => {
  mock = await startMockGemini();
});
afterAll(async () => {
  await mock?.close();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await proxy?.close();
  mock.reset();
});

async function gatewayWith(env: Record<string, string>): Promise<TestGateway> {
  proxy = await startForwardProxy();
  const resolved = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v.replace('$PROXY', proxy.url)]),
  );
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('proxied')], env: resolved });
  return gw;
}

describe('outbound proxy', () => {
  it('sends every upstream request through HTTP_PROXY', async () => {
    const g = await gatewayWith({ HTTP_PROXY: '$PROXY' });
    for (let i = 0; i < 3; i++) expect((await chat(g)).status).toBe(200);
    const validated = await g.admin('POST', '/keys/validate', {});
    expect(validated.body.summary.valid).toBe(1);

    const mockAddress = new URL(mock.url).host;
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
    expect(new Set(proxy.tunnels)).toEqual(new Set([mockAddress]));
    const seen = proxy.requests();
    expect(seen.filter((r) => r === 'POST /v1beta/openai/chat/completions')).toHaveLength(3);
    expect(seen.filter((r) => r === 'GET /v1beta/models?pageSize=1')).toHaveLength(1);
    expect(mock.stats().requests).toBe(4);
    // Keys travel in headers inside the tunnel, never in the CONNECT line or a query string.
    expect(proxy.tunnels.join(' ')).not.toContain('AIza');
    expect(seen.join(' ')).not.toContain('key=');
  });

  it('reads the lower-case names too', async () => {
    const g = await gatewayWith({ http_proxy: '$PROXY' });
    expect((await chat(g)).status).toBe(200);
    expect(proxy.requests()).toEqual(['POST /v1beta/openai/chat/completions']);
  });

  it('HTTPS_PROXY is for https upstreams (Google): it tunnels them, and leaves http ones direct', async () => {
    // http upstream: direct.
    const g = await gatewayWith({ HTTPS_PROXY: '$PROXY' });
    expect((await chat(g)).status).toBe(200);
    expect(proxy.tunnels).toEqual([]);
    await g.close();
    // https upstream: a CONNECT to it goes through the proxy. (The mock speaks no TLS, so the
    // attempt itself then fails; what matters is the route it took.)
    const mockAddress = new URL(mock.url).host;
    gw = await startNodeGateway({
      upstreamUrl: `https://${mockAddress}`,
      keys: [fakeKey('proxied')],
      env: { HTTPS_PROXY: proxy.url },
    });
    const failed = await chat(gw);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(proxy.tunnels).toContain(mockAddress);
  });

  it('NO_PROXY bypasses the proxy for the hosts it names', async () => {
    const g = await gatewayWith({ HTTP_PROXY: '$PROXY', NO_PROXY: 'localhost,127.0.0.1' });
    for (let i = 0; i < 3; i++) expect((await chat(g)).status).toBe(200);
    expect(mock.stats().requests).toBe(3);
    expect(proxy.tunnels).toEqual([]);
    expect(proxy.requests()).toEqual([]);
  });

  it('a NO_PROXY entry for another port does not bypass it', async () => {
    const g = await gatewayWith({ HTTP_PROXY: '$PROXY', NO_PROXY: '127.0.0.1:1' });
    expect((await chat(g)).status).toBe(200);
    expect(proxy.requests()).toEqual(['POST /v1beta/openai/chat/completions']);
  });

  it('refuses a malformed proxy URL at start without echoing it', () => {
    expect(() => readNodeSettings({ HTTPS_PROXY: 'user:secret@proxy' })).toThrow(SettingsError);
    expect(() => readNodeSettings({ HTTPS_PROXY: 'user:secret@proxy' })).toThrow(/^(?!.*secret).*$/);
    expect(readNodeSettings({ HTTPS_PROXY: 'socks5://127.0.0.1:1080' }).proxy).toEqual({
      httpProxy: '',
      httpsProxy: 'socks5://127.0.0.1:1080',
      noProxy: '',
    });
    expect(readNodeSettings({}).proxy).toBeNull();
  });
});
