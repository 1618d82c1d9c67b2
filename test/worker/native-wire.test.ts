/**
 * The native Gemini API on Workers at the wire level: the streamed JSON array, embedContent and
 * batchEmbedContents, the three ways to present an access token, bodies forwarded byte for byte,
 * native error shapes, redaction of upstream text, and the `/v1beta/openai` alias with the
 * official `openai` client running inside workerd.
 */
import OpenAI from 'openai';
import { beforeEach, describe, expect, it } from 'vitest';
import { createWorker } from '../../src/runtime/worker/worker.js';
import {
  ACCESS_TOKEN,
  ORIGIN,
  adminRequest,
  call,
  geminiKey,
  mock,
  sentUpstream,
  type SentUpstream,
} from './harness.js';

const upstream: SentUpstream[] = [];
/** When set, the upstream answers with this status and an error that quotes the key it was sent. */
let leakyStatus: number | null = null;

function leakyError(status: number, key: string): Response {
  const error = {
    code: status,
    message: `Request with key ${key} rejected (?key=${key})`,
    status: status === 400 ? 'INVALID_ARGUMENT' : 'INTERNAL',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ description: key }] },
    ],
  };
  return Response.json({ error }, { status });
}

const logs: string[] = [];
const worker = createWorker({
  fetch: async (input, init) => {
    const sent = sentUpstream(new Request(input, init), init);
    upstream.push(sent);
    if (leakyStatus !== null) return leakyError(leakyStatus, sent.key ?? '');
    return fetch(input, init);
  },
  logger: (entry) => logs.push(JSON.stringify(entry)),
});

const GOOD = geminiKey('wiregood', 1);

type Auth = 'goog' | 'query' | 'bearer';

function native(path: string, body?: string, auth: Auth = 'goog', token = ACCESS_TOKEN): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth === 'goog') headers['x-goog-api-key'] = token;
  if (auth === 'bearer') headers.authorization = `Bearer ${token}`;
  const sep = path.includes('?') ? '&' : '?';
  const url = `${ORIGIN}/v1beta/${path}${auth === 'query' ? `${sep}key=${encodeURIComponent(token)}` : ''}`;
  return call(worker, new Request(url, { method: body === undefined ? 'GET' : 'POST', headers, body }));
}

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(worker, adminRequest(method, path, body));
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

const PICKY_BODY = `{
  "contents" : [ { "role":"user", "parts":[{"text":"caf\\u00e9 — naïve 🌍"}] } ],
  "generationConfig": {"temperature":0.70, "topK": 40, "topP":1.0},
  "safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]
}`;

beforeEach(async () => {
  upstream.length = 0;
  leakyStatus = null;
  const keys = (await admin('GET', '/admin/api/keys?page_size=500')).keys as Array<{ id: number }>;
  if (keys.length === 0) {
    await mock.setKey(GOOD, 'ok');
    await admin('POST', '/admin/api/keys', { keys: [{ api_key: GOOD }] });
  }
});

describe('native routes on the wire, on Workers', () => {
  it('the streamed JSON array passes through in Google’s framing; usage is the last element’s', async () => {
    const res = await native('models/gemini-2.5-flash:streamGenerateContent', PICKY_BODY, 'query');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const text = await res.text();
    expect(text).toMatch(/^\[\{.*\}\r\n,\{.*\}\r\n,\{.*\}\r\n\]$/s);
    const items = JSON.parse(text) as Array<{ usageMetadata: Record<string, number> }>;
    const last = items.at(-1)!.usageMetadata;
    const [row] = (await admin('GET', '/admin/api/usage?limit=1&endpoint=streamGenerateContent')).usage;
    expect(row).toMatchObject({
      status: 200,
      prompt_tokens: last.promptTokenCount,
      completion_tokens: last.candidatesTokenCount! + last.thoughtsTokenCount!,
      total_tokens: last.totalTokenCount,
    });
    expect(upstream).toHaveLength(1);
    expect(new URL(upstream[0]!.url).search).toBe('');
    expect(upstream[0]!.body).toBe(PICKY_BODY);
    expect(upstream[0]!.key).toBe(GOOD);
  });

  it('alt=sse is forwarded and the client’s ?key= is not', async () => {
    const res = await native('models/gemini-2.5-flash:streamGenerateContent?alt=sse', PICKY_BODY, 'query');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.split('\r\n\r\n').filter(Boolean)).toHaveLength(3);
    expect(new URL(upstream[0]!.url).search).toBe('?alt=sse');
  });

  it('embedContent, batchEmbedContents, generateContent and countTokens forward bodies byte for byte', async () => {
    const one = `{"content":{"parts":[{"text":"hello  world"}]},"outputDimensionality":4}`;
    const batch = `{"requests":[ {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]}} ]}`;
    const single = await native('models/gemini-embedding-001:embedContent', one, 'bearer');
    expect(((await single.json()) as { embedding: { values: number[] } }).embedding.values).toHaveLength(4);
    const many = await native('models/gemini-embedding-001:batchEmbedContents', batch);
    expect(((await many.json()) as { embeddings: unknown[] }).embeddings).toHaveLength(1);
    expect((await native('models/gemini-2.5-flash:generateContent', PICKY_BODY)).status).toBe(200);
    expect((await native('models/gemini-2.5-flash:countTokens', PICKY_BODY, 'query')).status).toBe(200);
    expect(upstream.map((u) => u.body)).toEqual([one, batch, PICKY_BODY, PICKY_BODY]);
    expect(upstream.every((u) => u.key === GOOD && u.authorization === null)).toBe(true);
  });

  it('GET models passes pageSize and pageToken, never the key', async () => {
    const page = (await (await native('models?pageSize=5', undefined, 'query')).json()) as {
      models: unknown[];
      nextPageToken: string;
    };
    expect(page.models).toHaveLength(5);
    const rest = (await (await native(`models?pageToken=${page.nextPageToken}`)).json()) as {
      models: Array<{ name: string }>;
    };
    expect(rest.models.map((m) => m.name)).toEqual([
      'models/gemini-embedding-001',
      'models/text-embedding-004',
    ]);
    expect(upstream.map((u) => new URL(u.url).search)).toEqual([
      '?pageSize=5',
      `?pageToken=${page.nextPageToken}`,
    ]);
  });

  it('client errors come back in the native shape; gateway-side ones never reach Gemini', async () => {
    const cases: Array<[string, string | undefined, number, string]> = [
      ['models/gemini-2.5-flash:launchRockets', '{}', 404, 'NOT_FOUND'],
      ['models/gemini-2.5-flash:generateContent', '{"contents": [', 400, 'INVALID_ARGUMENT'],
      ['models/bad%20model:generateContent', '{}', 400, 'INVALID_ARGUMENT'],
    ];
    for (const [path, body, status, googleStatus] of cases) {
      const res = await native(path, body);
      expect(res.status, path).toBe(status);
      expect(await res.json()).toMatchObject({ error: { code: status, status: googleStatus } });
    }
    const wrong = await native('models', undefined, 'goog', 'wrong-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(upstream).toHaveLength(0);

    const unknownField = await native('models/gemini-2.5-flash:generateContent', '{"web_search_options":{}}');
    expect(unknownField.status).toBe(400);
    const body = (await unknownField.json()) as unknown;
    expect(Array.isArray(body)).toBe(false);
    expect(body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    expect(upstream).toHaveLength(1);
  });

  for (const status of [400, 500]) {
    it(`redacts the pooled key from a ${status} upstream error, its details and the logs`, async () => {
      leakyStatus = status;
      logs.length = 0;
      const res = await native('models/gemini-2.5-flash:generateContent', PICKY_BODY);
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(upstream.length).toBeGreaterThan(0);
      expect(text).not.toContain(GOOD);
      expect(text).toContain(`${GOOD.slice(0, 4)}…${GOOD.slice(-4)}`);
      expect(JSON.parse(text)).toMatchObject({ error: { code: status } });
      expect(logs.join('\n')).not.toContain(GOOD);
      const rows = (await admin('GET', '/admin/api/usage?limit=5')).usage;
      expect(JSON.stringify(rows)).not.toContain(GOOD);
    });
  }
});

describe('/v1beta/openai alias with the openai client inside workerd', () => {
  const client = new OpenAI({
    apiKey: ACCESS_TOKEN,
    baseURL: `${ORIGIN}/v1beta/openai`,
    maxRetries: 0,
    fetch: (input, init) => call(worker, new Request(input, init)),
  });

  it('chat, streamed chat, embeddings and models, forwarded to Google’s OpenAI endpoint', async () => {
    const chat = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    let text = '';
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).not.toBe('');
    const emb = await client.embeddings.create({ model: 'gemini-embedding-001', input: 'x' });
    expect(emb.data[0]?.embedding.length).toBeGreaterThan(0);
    expect((await client.models.list()).data.map((m) => m.id)).toContain('gemini-2.5-flash');
    expect(upstream.map((u) => new URL(u.url).pathname)).toEqual([
      '/v1beta/openai/chat/completions',
      '/v1beta/openai/chat/completions',
      '/v1beta/openai/embeddings',
      '/v1beta/openai/models',
    ]);
    expect(upstream.every((u) => u.authorization === `Bearer ${GOOD}` && u.key === null)).toBe(true);
  });

  it('gives the SDK real embedding values for its default base64 request, and floats on request', async () => {
    const floats = await client.embeddings.create({
      model: 'gemini-embedding-001',
      input: ['p', 'q'],
      encoding_format: 'float',
    });
    const asked = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['p', 'q'] });
    const values = floats.data.map((d) => d.embedding);
    expect(values[0]!.some((v) => v !== 0)).toBe(true);
    expect(asked.data.map((d) => d.embedding)).toEqual(values.map((v) => Array.from(Float32Array.from(v))));
  });

  it('answers errors in OpenAI’s shape', async () => {
    const err = await client.chat.completions
      .create({ model: 'gemini-pro', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({
      type: 'not_found_error',
    });
  });
});
