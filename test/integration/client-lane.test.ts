/**
 * On Node, client API requests without an `Origin` are served by the client lane straight from
 * node:http, and browser requests go through Hono for CORS. Both must answer alike: every case here
 * is sent both ways and the answers are compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

let mock: MockGemini;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: [fakeKey('lane-a'), fakeKey('lane-b')],
    env: { MAX_BODY_MB: '20' },
  });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Expected status (the same both ways). */
  status: number;
}

const chat = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] });
const generate = JSON.stringify({ contents: [{ parts: [{ text: 'Hi' }] }] });

/** Fields that differ between two otherwise equal answers (ids, times). */
const VOLATILE = new Set(['id', 'created', 'responseId', 'createTime']);

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !VOLATILE.has(name))
      .map(([name, v]) => [name, normalise(v)]),
  );
}

async function send(c: Case, origin: string | null) {
  const token = { authorization: `Bearer ${gw.accessToken}` };
  const res = await fetch(gw.url + c.path, {
    method: c.method,
    headers: {
      ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(c.headers ?? token),
      ...(origin ? { origin } : {}),
    },
    body: c.body,
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json')
    ? normalise(JSON.parse(text))
    : text
        .split('\n\n')
        .filter(Boolean)
        .map((event) => (event === 'data: [DONE]' ? event : normalise(JSON.parse(event.slice(6)))));
  return { status: res.status, type, cors: res.headers.get('access-control-allow-origin'), body };
}

const CASES: Case[] = [
  { name: 'chat completion', method: 'POST', path: '/v1/chat/completions', body: chat, status: 200 },
  {
    name: 'streamed chat completion',
    method: 'POST',
    path: '/v1/chat/completions',
    body: JSON.stringify({ ...JSON.parse(chat), stream: true }),
    status: 200,
  },
  { name: 'models list with ids stripped', method: 'GET', path: '/v1/models', status: 200 },
  {
    name: 'missing token',
    method: 'POST',
    path: '/v1/chat/completions',
    headers: {},
    body: chat,
    status: 401,
  },
  {
    name: 'body that is not JSON',
    method: 'POST',
    path: '/v1/chat/completions',
    body: '{"model":',
    status: 400,
  },
  {
    name: 'wrong content type',
    method: 'POST',
    path: '/v1/embeddings',
    headers: { authorization: 'Bearer placeholder', 'content-type': 'text/plain' },
    body: 'hi',
    status: 415,
  },
  { name: 'unknown route under /v1', method: 'GET', path: '/v1/nothing-here', status: 404 },
  {
    name: 'native generateContent with x-goog-api-key',
    method: 'POST',
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    headers: { 'x-goog-api-key': 'placeholder' },
    body: generate,
    status: 200,
  },
  {
    name: 'native call with the token in ?key=',
    method: 'POST',
    path: '/v1beta/models/gemini-2.5-flash:countTokens?key=placeholder',
    headers: {},
    body: generate,
    status: 200,
  },
  {
    name: 'unsupported native action',
    method: 'POST',
    path: '/v1beta/models/gemini-2.5-flash:teleport',
    headers: { 'x-goog-api-key': 'placeholder' },
    body: generate,
    status: 404,
  },
];

describe('the Node client lane and the Hono path', () => {
  it.each(CASES)('answer "$name" alike', async (c) => {
    // Placeholders stand for the real token, which is only known once the gateway runs.
    const real: Case = {
      ...c,
      path: c.path.replace('placeholder', gw.accessToken),
      headers: c.headers
        ? Object.fromEntries(
            Object.entries(c.headers).map(([name, v]) => [name, v.replace('placeholder', gw.accessToken)]),
          )
        : undefined,
    };
    const lane = await send(real, null);
    const hono = await send(real, 'https://chat.example');
    expect(lane.status).toBe(c.status);
    expect(hono.status).toBe(c.status);
    expect(lane.type).toBe(hono.type);
    expect(lane.body).toEqual(hono.body);
    // Only the browser request went through CORS, so each answer came the way it was meant to.
    expect(lane.cors).toBeNull();
    expect(hono.cors).toBe('*');
  });
});

describe('a chunked body over the size limit', () => {
  /** 21 MiB in 1 MiB chunks, sent without a Content-Length, so the limit is found while reading. */
  const oversized = () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024 * 1024));
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 21) controller.enqueue(chunk);
        else controller.close();
      },
    });
  };

  it.each([
    ['the lane', null],
    ['Hono', 'https://chat.example'],
  ])('is refused by %s with a 413, and nothing reaches the upstream', async (_path, origin) => {
    const before = mock.stats().requests;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${gw.accessToken}`,
        'content-type': 'application/json',
        ...(origin ? { origin } : {}),
      },
      body: oversized(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('request_too_large');
    expect(mock.stats().requests).toBe(before);
  });
});
