/**
 * Every way of failing to reach the upstream, against the real Node gateway: a misbehaving
 * outbound proxy, a host that does not resolve, a connect that never completes, TLS failure.
 * Each must answer in bounded time with an error that names the cause (and no secret), reach
 * the network at most 1 + max_retries times, penalise no key, and leave the process idle after.
 */
import dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import {
  startBlackhole,
  startFakeProxy,
  startPlainServer,
  type CountingServer,
  type ProxyMode,
} from '../support/unreachable.js';
import { chat, MODEL, until, usageRows } from './helpers.js';

const KEYS = [fakeKey('reach-a'), fakeKey('reach-b'), fakeKey('reach-c')];
const MAX_RETRIES = 2;
const CONNECT_TIMEOUT_MS = 400;
/** A generous bound on the answer: each attempt ends within the connect timeout. */
const ANSWER_LIMIT_MS = 10_000;
const PROXY_SECRET = 's3cret-proxy-pass';

let mock: MockGemini;

beforeAll(async () => {
  mock = await startMockGemini();
});

afterAll(async () => {
  await mock?.close();
});

async function gateway(upstreamUrl: string, env: Record<string, string> = {}): Promise<TestGateway> {
  return startNodeGateway({
    upstreamUrl,
    keys: KEYS,
    config: { max_retries: MAX_RETRIES, request_timeout_ms: 5000 },
    env: { UPSTREAM_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), ...env },
  });
}

/** Runs `test` against a gateway whose outbound proxy (`credentials` in its URL) behaves as `mode`. */
async function withProxy(
  mode: ProxyMode,
  credentials: string,
  test: (gw: TestGateway, proxy: CountingServer) => Promise<void>,
): Promise<void> {
  const proxy = await startFakeProxy(mode);
  const url = `http://${credentials}127.0.0.1:${proxy.port}`;
  const gw = await gateway(mock.url, { HTTPS_PROXY: url, HTTP_PROXY: url });
  try {
    await test(gw, proxy);
  } finally {
    await gw.close();
    await proxy.close();
  }
}

interface Answer {
  status: number;
  body: { error: Record<string, unknown> };
  text: string;
}

/** Sends a chat request and times it; the client gives up after the limit, so a hang fails fast. */
async function ask(gw: TestGateway, opts: { stream?: boolean } = {}): Promise<Answer> {
  const res = await chat(gw.url, gw.accessToken, { ...opts, signal: AbortSignal.timeout(ANSWER_LIMIT_MS) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Answer['body'], text };
}

/** Process CPU over the next `ms`, as a share of one core. */
async function cpuShareOver(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (performance.now() - t0);
}

/** After the answer: no reconnect loop (no new connections, near-idle CPU) and one usage row per attempt, all on one key. */
async function expectSettled(gw: TestGateway, counter: CountingServer | null, detail: RegExp): Promise<void> {
  const seen = counter?.connections() ?? 0;
  expect(seen).toBeLessThanOrEqual(1 + MAX_RETRIES);
  expect(await cpuShareOver(2000)).toBeLessThan(0.2);
  if (counter) expect(counter.connections()).toBe(seen);

  await gw.running.gateway.flush();
  const rows = usageRows(gw.databasePath);
  expect(rows.map((r) => [r.attempt, r.response_status, r.outcome])).toEqual([
    [1, 0, 'upstream-fault'],
    [2, 0, 'upstream-fault'],
    [3, 0, 'upstream-fault'],
  ]);
  // The network path is the same for every key: the retries keep the first one.
  expect(new Set(rows.map((r) => r.api_key_id)).size).toBe(1);
  expect(rows[0]?.error).toMatch(detail);
  const keys = (await gw.admin('GET', '/keys')).body.keys as Array<{
    state: string;
    consecutive_errors: number;
  }>;
  for (const key of keys) expect([key.state, key.consecutive_errors]).toEqual(['active', 0]);
}

function expectError(answer: Answer, status: number, code: string, message: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.body.error).toMatchObject({ code, type: 'api_error' });
  expect(answer.body.error.message).toMatch(message);
}

describe('an outbound proxy that will not open the tunnel', () => {
  const cases: Array<[ProxyMode, number, string, RegExp]> = [
    [
      'close',
      502,
      'upstream_unreachable',
      /the outbound proxy closed the connection instead of opening a tunnel/,
    ],
    ['403', 502, 'upstream_unreachable', /the outbound proxy refused the tunnel: 403/],
    ['407', 502, 'upstream_unreachable', /the outbound proxy refused the tunnel: 407/],
    ['silent', 504, 'upstream_timeout', /no tunnel through the outbound proxy within 400 ms/],
  ];
  for (const [mode, status, code, message] of cases) {
    it(`${mode}: answers ${status} naming the cause, within 1 + max_retries connections, then idles`, async () => {
      await withProxy(mode, `user:${PROXY_SECRET}@`, async (gw, proxy) => {
        const answer = await ask(gw);
        expectError(answer, status, code, message);
        expect(answer.text).not.toContain(PROXY_SECRET);
        expect(gw.logs.join('\n')).not.toContain(PROXY_SECRET);
        await gw.running.gateway.flush();
        expect(JSON.stringify(usageRows(gw.databasePath))).not.toContain(PROXY_SECRET);
        expect(mock.stats().requests).toBe(0);
        await expectSettled(gw, proxy, message);
        // A tunnel nobody answered is given up, not left open.
        await until(() => proxy.open() === 0, 'the gateway to close its proxy connections', 3000);
      });
    });
  }

  it('close, on a stream and on the native route: the same cause in each route’s error shape', async () => {
    await withProxy('close', '', async (gw, proxy) => {
      const streamed = await ask(gw, { stream: true });
      expectError(streamed, 502, 'upstream_unreachable', /outbound proxy closed the connection/);
      const res = await fetch(`${gw.url}/v1beta/models/${MODEL}:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': gw.accessToken, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
        signal: AbortSignal.timeout(ANSWER_LIMIT_MS),
      });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { code: number; status: string; message: string } };
      expect(body.error).toMatchObject({ code: 502, status: 'UNAVAILABLE' });
      expect(body.error.message).toMatch(/outbound proxy closed the connection/);
      expect(proxy.connections()).toBeLessThanOrEqual(2 * (1 + MAX_RETRIES));
      expect(await cpuShareOver(1000)).toBeLessThan(0.2);
    });
  });

  it('a proxy that opens the tunnel carries the request through to Gemini', async () => {
    await withProxy('tunnel', '', async (gw, proxy) => {
      mock.reset();
      const res = await chat(gw.url, gw.accessToken, { signal: AbortSignal.timeout(ANSWER_LIMIT_MS) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
      expect(mock.stats().requests).toBe(1);
      expect(proxy.connections()).toBe(1);
    });
  });
});

describe('an upstream that cannot be reached directly', () => {
  it('a host that does not resolve: 502 naming the host', async () => {
    // The resolver answers "no such host" for this name only, so no query leaves the machine.
    const realLookup = dns.lookup;
    let lookups = 0;
    const fakeLookup = (host: string, ...rest: unknown[]): void => {
      const callback = rest.at(-1) as (err: Error | null) => void;
      if (host !== 'gemini.invalid') return (realLookup as (...a: unknown[]) => void)(host, ...rest);
      lookups += 1;
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      process.nextTick(() => callback(err));
    };
    dns.lookup = fakeLookup as typeof dns.lookup;
    const gw = await gateway('http://gemini.invalid');
    try {
      const message = /the upstream host gemini\.invalid does not resolve \(ENOTFOUND\)/;
      expectError(await ask(gw), 502, 'upstream_unreachable', message);
      expect(lookups).toBe(1 + MAX_RETRIES);
      await expectSettled(gw, null, message);
    } finally {
      dns.lookup = realLookup;
      await gw.close();
    }
  });

  it('a connect that never completes: 504 after the connect timeout', async () => {
    const blackhole = await startBlackhole();
    const gw = await gateway(`http://127.0.0.1:${blackhole.port}`);
    try {
      const message = /no connection to 127\.0\.0\.1 within 400 ms/;
      expectError(await ask(gw), 504, 'upstream_timeout', message);
      await expectSettled(gw, null, message);
    } finally {
      await gw.close();
      await blackhole.close();
    }
  });

  it('TLS failure (a plain TCP server reached over https): 502 naming the handshake', async () => {
    const plain = await startPlainServer();
    const gw = await gateway(`https://127.0.0.1:${plain.port}`);
    try {
      const message = /the TLS handshake with 127\.0\.0\.1 failed \(ERR_SSL_/;
      expectError(await ask(gw), 502, 'upstream_unreachable', message);
      await expectSettled(gw, plain, message);
    } finally {
      await gw.close();
      await plain.close();
    }
  });
});
