/**
 * The native Gemini API on the Node gateway at the wire level: the streamed JSON array,
 * embedContent and batchEmbedContents, the three ways a client may present its access token,
 * bodies forwarded byte for byte, native error shapes, redaction, and the `/v1beta/openai` alias
 * with the official `openai` client.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { readUntilFailure } from '../support/streams.js';
import { usageRows, useNativeSuite } from './support.js';

const GOOD = fakeKey('wire-good');

const { mock, gw } = useNativeSuite([GOOD], { keepLastBody: true });

type Auth = 'goog' | 'query' | 'bearer';

function native(
  path: string,
  body?: string,
  auth: Auth = 'goog',
  token = gw().accessToken,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth === 'goog') headers['x-goog-api-key'] = token;
  if (auth === 'bearer') headers.authorization = `Bearer ${token}`;
  const sep = path.includes('?') ? '&' : '?';
  const url = `${gw().url}/v1beta/${path}${auth === 'query' ? `${sep}key=${encodeURIComponent(token)}` : ''}`;
  return fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body });
}

/** A request body the way a careful client writes it: its own spacing, key order, escapes and settings. */
const PICKY_BODY = `{
  "contents" : [ { "role":"user", "parts":[{"text":"caf\\u00e9 — naïve 🌍"}] } ],
  "generationConfig": {"temperature":0.70, "topK": 40, "topP":1.0, "maxOutputTokens": 256},
  "safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}],
  "systemInstruction": {"parts": [{"text": "Be brief."}]}
}`;

describe('native routes on the wire', () => {
  it('streams a JSON array without alt=sse, element by element, and records the last usageMetadata', async () => {
    mock().configure({ streamChunks: 3, chunkIntervalMs: 150 });
    const res = await native('models/gemini-2.5-flash:streamGenerateContent', PICKY_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value, { stream: true });
    // The first element arrives on its own, before Gemini has finished.
    expect(first.startsWith('[{')).toBe(true);
    expect(first.split('"responseId"').length - 1).toBeLessThanOrEqual(1);
    let text = first;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    // Google's framing passes through untouched.
    expect(text).toMatch(/^\[\{.*\}\r\n,\{.*\}\r\n,\{.*\}\r\n\]$/s);
    const items = JSON.parse(text) as Array<{ usageMetadata: Record<string, number> }>;
    expect(items).toHaveLength(3);
    const last = items[2]!.usageMetadata;
    const [row] = await usageRows(gw(), 'limit=1&endpoint=streamGenerateContent');
    expect(row).toMatchObject({
      status: 200,
      prompt_tokens: last.promptTokenCount,
      completion_tokens: last.candidatesTokenCount! + last.thoughtsTokenCount!,
      total_tokens: last.totalTokenCount,
    });
    expect(mock().stats().lastBody).toBe(PICKY_BODY);
  });

  it('breaks the JSON array off, without a retry, when Gemini drops the connection mid-body', async () => {
    mock().configure({ fault: 'reset-mid-body', faultCount: 1, streamChunks: 6 });
    const res = await native('models/gemini-2.5-flash:streamGenerateContent', PICKY_BODY);
    expect(res.status).toBe(200);
    const { text, failure } = await readUntilFailure(res.body!);
    expect(failure).toBeInstanceOf(Error);
    expect(text.startsWith('[{')).toBe(true);
    expect(text.endsWith(']')).toBe(false);
    expect(mock().stats().requests).toBe(1);
    const [row] = await usageRows(gw(), 'limit=1&endpoint=streamGenerateContent');
    expect(row).toMatchObject({ attempt: 1, outcome: 'upstream-fault', error: 'stream interrupted' });
  });

  it('streams SSE with alt=sse in Google’s framing, forwarding alt but never the client’s key', async () => {
    mock().configure({ streamChunks: 4 });
    const res = await native('models/gemini-2.5-flash:streamGenerateContent?alt=sse', PICKY_BODY, 'query');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = text.split('\r\n\r\n').filter(Boolean);
    expect(events).toHaveLength(4);
    expect(events.every((e) => e.startsWith('data: {'))).toBe(true);
    expect(text).not.toContain('[DONE]');
    const stats = mock().stats();
    expect(stats.keyInQuery).toBe(0);
    expect(stats.lastHeaders['x-goog-api-key']).toBe(maskKey(GOOD));
    expect(stats.lastBody).toBe(PICKY_BODY);
  });

  it('embedContent and batchEmbedContents answer Google’s bodies and get the request bytes untouched', async () => {
    const one = `{"content":{"parts":[{"text":"hello  world"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":4}`;
    const res = await native('models/gemini-embedding-001:embedContent', one);
    expect(res.status).toBe(200);
    const single = (await res.json()) as { embedding: { values: number[] } };
    expect(single.embedding.values).toHaveLength(4);
    expect(mock().stats().lastBody).toBe(one);

    const batch = `{ "requests": [
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":3},
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]},"outputDimensionality":3} ] }`;
    const many = await native('models/gemini-embedding-001:batchEmbedContents', batch, 'bearer');
    expect(many.status).toBe(200);
    const body = (await many.json()) as { embeddings: Array<{ values: number[] }> };
    expect(body.embeddings.map((e) => e.values.length)).toEqual([3, 3]);
    expect(mock().stats().lastBody).toBe(batch);
    expect(mock().stats().byPath).toEqual({
      '/v1beta/models/gemini-embedding-001:embedContent': 1,
      '/v1beta/models/gemini-embedding-001:batchEmbedContents': 1,
    });
  });

  it('generateContent and countTokens forward the body byte for byte', async () => {
    expect((await native('models/gemini-2.5-flash:generateContent', PICKY_BODY)).status).toBe(200);
    expect(mock().stats().lastBody).toBe(PICKY_BODY);
    const count = await native('models/models%2Fgemini-2.5-flash:countTokens', PICKY_BODY, 'query');
    expect(count.status).toBe(200);
    expect(((await count.json()) as { totalTokens: number }).totalTokens).toBeGreaterThan(0);
    expect(mock().stats().lastBody).toBe(PICKY_BODY);
    expect(mock().stats().byPath['/v1beta/models/gemini-2.5-flash:countTokens']).toBe(1);
  });

  it('lists models with pageSize and pageToken passed through, and reads one model', async () => {
    const first = await native('models?pageSize=2', undefined, 'query');
    const page = (await first.json()) as { models: Array<{ name: string }>; nextPageToken: string };
    expect(page.models.map((m) => m.name)).toEqual(['models/gemini-2.5-flash', 'models/gemini-2.5-pro']);
    const next = await native(`models?pageSize=2&pageToken=${page.nextPageToken}`, undefined, 'bearer');
    const page2 = (await next.json()) as { models: Array<{ name: string }> };
    expect(page2.models.map((m) => m.name)).toEqual([
      'models/gemini-2.5-flash-lite',
      'models/gemini-2.0-flash',
    ]);
    const one = await native('models/gemini-embedding-001');
    expect(await one.json()).toMatchObject({
      name: 'models/gemini-embedding-001',
      supportedGenerationMethods: ['embedContent', 'batchEmbedContents'],
    });
    expect(mock().stats().keyInQuery).toBe(0);
  });

  it('refuses a missing or wrong token in each style, in the native shape, before reaching Gemini', async () => {
    for (const auth of ['goog', 'query', 'bearer'] as const) {
      const res = await native('models/gemini-2.5-flash:generateContent', PICKY_BODY, auth, 'wrong-token');
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    }
    const none = await fetch(`${gw().url}/v1beta/models`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(mock().stats().requests).toBe(0);
  });

  it('answers gateway-side client errors in the native shape without calling Gemini', async () => {
    const cases: Array<[string, string | undefined, number, string]> = [
      ['models/gemini-2.5-flash:launchRockets', '{}', 404, 'NOT_FOUND'],
      ['models/gemini-2.5-flash:generateContent', '{"contents": [', 400, 'INVALID_ARGUMENT'],
      ['models/gemini-2.5-flash:generateContent', '[1,2]', 400, 'INVALID_ARGUMENT'],
      ['models/bad%20model:generateContent', '{}', 400, 'INVALID_ARGUMENT'],
      ['tunedModels/x:generateContent', '{}', 404, 'NOT_FOUND'],
    ];
    for (const [path, body, status, googleStatus] of cases) {
      const res = await native(path, body);
      expect(res.status, path).toBe(status);
      const json = (await res.json()) as { error: Record<string, unknown> };
      expect(Array.isArray(json)).toBe(false);
      expect(json.error).toMatchObject({ code: status, status: googleStatus });
      expect(typeof json.error.message).toBe('string');
    }
    expect(mock().stats().requests).toBe(0);
  });

  it('passes Google’s own client errors through once in their native shape', async () => {
    const res = await native(
      'models/gemini-2.5-flash:generateContent',
      '{"contents":[{"parts":[{"text":"x"}]}],"web_search_options":{}}',
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: Array<Record<string, unknown>> } };
    expect(body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    expect(body.error.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.BadRequest' });
    expect(mock().stats().requests).toBe(1);
  });
});

describe('/v1beta/openai alias with the openai client', () => {
  let client: OpenAI;
  beforeAll(() => {
    client = new OpenAI({ apiKey: gw().accessToken, baseURL: `${gw().url}/v1beta/openai`, maxRetries: 0 });
  });

  it('chat (plain and streamed), embeddings and models work by changing only the host', async () => {
    const chat = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).not.toBe('');
    const emb = await client.embeddings.create({ model: 'gemini-embedding-001', input: 'x' });
    expect(emb.data[0]?.embedding.length).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gemini-2.5-flash');

    const stats = mock().stats();
    expect(stats.byPath).toEqual({
      '/v1beta/openai/chat/completions': 2,
      '/v1beta/openai/embeddings': 1,
      '/v1beta/openai/models': 1,
    });
    expect(stats.lastHeaders.authorization).toBe(`Bearer ${maskKey(GOOD)}`);
  });

  it('accepts x-goog-api-key too, and answers errors in OpenAI’s shape, never Google’s array', async () => {
    const res = await fetch(`${gw().url}/v1beta/openai/chat/completions`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw().accessToken, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-pro', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as unknown;
    expect(Array.isArray(body)).toBe(false);
    expect(body).toMatchObject({ error: { type: 'not_found_error' } });
    const err = await client.chat.completions
      .create({ model: 'gemini-pro', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('redaction of upstream error text', () => {
  const LEAKY = fakeKey('leaky');
  let upstream: Server;
  let leakyGw: TestGateway;
  let status = 400;

  /** An upstream that echoes the key it was given, in the message and in the details. */
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const key = String(req.headers['x-goog-api-key']);
      const message = `Request with key ${key} rejected (?key=${key})`;
      const error = {
        code: status,
        message,
        status: status === 400 ? 'INVALID_ARGUMENT' : 'INTERNAL',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ description: `bad key ${key}` }],
          },
        ],
      };
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    leakyGw = await startNodeGateway({ upstreamUrl: `http://127.0.0.1:${port}`, keys: [LEAKY] });
  });

  afterAll(async () => {
    await leakyGw?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  for (const code of [400, 500]) {
    it(`masks the pooled key in a ${code} body, its details and the logs`, async () => {
      status = code;
      const res = await fetch(`${leakyGw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': leakyGw.accessToken, 'content-type': 'application/json' },
        body: '{"contents":[{"parts":[{"text":"x"}]}]}',
      });
      expect(res.status).toBe(code);
      const text = await res.text();
      expect(text).not.toContain(LEAKY);
      const body = JSON.parse(text) as { error: { message: string; details: unknown[] } };
      expect(body.error.message).toContain(maskKey(LEAKY));
      expect(JSON.stringify(body.error.details)).toContain(maskKey(LEAKY));
      await leakyGw.running.gateway.flush();
      expect(leakyGw.logs.join('\n')).not.toContain(LEAKY);
      const rows = await usageRows(leakyGw, 'limit=5');
      expect(JSON.stringify(rows)).not.toContain(LEAKY);
    });
  }
});
