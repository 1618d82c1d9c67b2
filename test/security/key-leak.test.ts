/**
 * No full API key escapes: a realistic traffic mix over keys with every behaviour (valid,
 * invalid, expired, suspended, service disabled, forbidden, rate-limited per minute / per day /
 * bare) and upstream faults, plus every admin view, then every captured log line, response body
 * and header, and the database's text columns are searched for any key or any 12 characters of
 * its secret middle. A second upstream quotes the key it was sent in its error texts, the worst
 * case for redaction.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockGemini, type KeyBehavior, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { Capture, databaseText, randomKey } from './leak-capture.js';

const FLASH = 'gemini-2.5-flash';
const PRO = 'gemini-2.5-pro';
let mock: MockGemini | undefined;
let echo: Server | undefined;
const gateways: TestGateway[] = [];

afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await mock?.close();
  await new Promise((resolve) => (echo ? echo.close(resolve) : resolve(undefined)));
});

function clientCalls(gw: TestGateway, capture: Capture, i: number): Array<Promise<unknown>> {
  const bearer = { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' };
  const goog = { 'x-goog-api-key': gw.accessToken, 'content-type': 'application/json' };
  const model = [FLASH, PRO, 'gemini-2.0-flash'][i % 3]!;
  const chat = (extra: Record<string, unknown>) =>
    capture.fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ model, messages: [{ role: 'user', content: `q${i}` }], ...extra }),
    });
  const native = (action: string, query = '', headers: Record<string, string> = goog) =>
    capture.fetch(`${gw.url}/v1beta/models/${model}:${action}${query}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `q${i}` }] }] }),
    });
  return [
    chat({}),
    chat({ stream: true }),
    chat({ model: 'gemini-pro' }), // unknown model: a client error passed through
    capture.fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ model: 'gemini-embedding-001', input: ['a', 'b'] }),
    }),
    capture.fetch(`${gw.url}/v1/models`, { headers: bearer }),
    capture.fetch(`${gw.url}/v1/models/${FLASH}`, { headers: bearer }),
    native('generateContent'),
    native('streamGenerateContent', '?alt=sse'),
    native('streamGenerateContent'),
    native('countTokens', `?key=${gw.accessToken}`, { 'content-type': 'application/json' }),
    capture.fetch(`${gw.url}/v1beta/models?key=${gw.accessToken}`),
  ];
}

async function adminViews(gw: TestGateway, capture: Capture): Promise<void> {
  const auth = { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' };
  const get = (path: string) => capture.fetch(`${gw.url}${path}`, { headers: auth });
  const send = (method: string, path: string, body: unknown) =>
    capture.fetch(`${gw.url}${path}`, { method, headers: auth, body: JSON.stringify(body) });
  await gw.running.gateway.flush();
  for (const path of [
    '/admin/api/keys?page_size=500',
    '/admin/api/keys?state=disabled',
    '/admin/api/keys?state=cooling',
    '/admin/api/keys?sort=error_count&order=desc',
    '/admin/api/stats?range=hour',
    '/admin/api/usage?limit=500',
    '/admin/api/usage?limit=500&status=403',
    '/admin/api/config',
    '/admin/api/tokens',
    '/metrics',
    '/healthz',
  ]) {
    await get(path);
  }
  await send('PATCH', '/admin/api/keys/1', { gmail_email: 'someone@gmail.com' });
  await send('POST', '/admin/api/keys/2/reset-errors', {});
  await send('POST', '/admin/api/keys/validate', {});
  await send('POST', '/admin/api/keys', { text: 'not a key\nAIzaTooShort' });
  await get('/admin/api/keys?page_size=500');
}

describe('a realistic traffic mix over keys with every behaviour', () => {
  it('never shows a key, in full or in part, in logs, responses, headers or the database', async () => {
    const behaviours: KeyBehavior[] = [
      'ok',
      'ok',
      'invalid',
      'expired',
      'suspended',
      'service-disabled',
      'forbidden-unknown',
      { rateLimit: 'per_minute', models: [FLASH], retryDelay: '30s' },
      { rateLimit: 'per_day', models: [PRO] },
      { rateLimit: 'bare' },
    ];
    const keys = behaviours.map(() => randomKey());
    mock = await startMockGemini();
    keys.forEach((key, i) => mock!.setKey(key, behaviours[i]!));
    const gw = await startNodeGateway({
      upstreamUrl: mock.url,
      keys,
      env: { LOG_REQUESTS: '1' },
      config: { request_timeout_ms: 500, stream_idle_timeout_ms: 500, max_errors_threshold: 2 },
    });
    gateways.push(gw);
    const capture = new Capture();

    for (let round = 0; round < 4; round++) await Promise.all(clientCalls(gw, capture, round));
    for (const fault of [
      'reset-before-headers',
      'reset-mid-body',
      'garbage-200',
      'empty-200',
      'stall-mid-stream',
      'hang',
    ] as const) {
      mock.configure({ fault, faultCount: 2 });
      await Promise.all(clientCalls(gw, capture, 7));
    }
    mock.configure({ fault: null, rate503: 1 });
    await Promise.all(clientCalls(gw, capture, 8));
    mock.configure({ rate503: 0 });
    await adminViews(gw, capture);

    capture.parts.push(...gw.logs, databaseText(gw.databasePath));
    expect(gw.logs.some((line) => line.includes('"event":"request"'))).toBe(true);
    expect(capture.parts.join('\n')).toContain(`${keys[0]!.slice(0, 4)}…${keys[0]!.slice(-4)}`);
    expect(capture.leaks(keys)).toEqual([]);
  }, 60_000);
});

describe('an upstream that quotes the key it was sent in its error texts', () => {
  /** Answers per model: 400 invalid, 403 suspended, 429 per-minute quota or 500, each message quoting the key. */
  function startEcho(): Promise<string> {
    echo = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        const auth = req.headers.authorization ?? '';
        const key = (req.headers['x-goog-api-key'] as string | undefined) ?? auth.replace(/^Bearer /, '');
        const model = /gemini-echo-(\d+)/.exec(req.url + raw)?.[1] ?? '500';
        const status = Number(model);
        const reason = { 400: 'API_KEY_INVALID', 403: 'CONSUMER_SUSPENDED', 429: '', 500: '' }[status] ?? '';
        const details: unknown[] = [];
        if (reason) {
          details.push({
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason,
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com', key },
          });
        }
        if (status === 429) {
          details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '20s' });
        }
        const error = {
          code: status,
          message: `Request with key ${key} (Bearer ${key}, ?key=${key}) failed for api_key:${key}`,
          status:
            { 400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED', 429: 'RESOURCE_EXHAUSTED' }[status] ??
            'INTERNAL',
          details,
        };
        const openai = req.url?.startsWith('/v1beta/openai/');
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-key': key });
        res.end(JSON.stringify(openai ? [{ error }] : { error }));
      });
    });
    return new Promise((resolve) =>
      echo!.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(echo!.address() as AddressInfo).port}`),
      ),
    );
  }

  it('redacts the quoted key from every error a client, a log or the database sees', async () => {
    const url = await startEcho();
    const keys = Array.from({ length: 4 }, () => randomKey());
    const gw = await startNodeGateway({ upstreamUrl: url, keys, env: { LOG_REQUESTS: '1' } });
    gateways.push(gw);
    const capture = new Capture();
    const bearer = { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' };
    for (const status of [500, 429, 403, 400]) {
      const model = `gemini-echo-${status}`;
      await capture.fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: bearer,
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
      });
      await capture.fetch(`${gw.url}/v1beta/models/${model}:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': gw.accessToken, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
      });
    }
    await adminViews(gw, capture);
    capture.parts.push(...gw.logs, databaseText(gw.databasePath));
    // The upstream's texts did reach the gateway (redacted): the test is not vacuous.
    expect(capture.parts.join('\n')).toMatch(/failed for api_key:AIza…/);
    expect(capture.leaks(keys)).toEqual([]);
  });
});
