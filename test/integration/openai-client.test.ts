/**
 * The Node gateway end to end: real server, real SQLite file, the mock Gemini upstream, and the
 * official `openai` client unchanged.
 */
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { embed } from '../fixtures/mock-gemini/models.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

const INVALID = fakeKey('invalid');
const LIMITED = fakeKey('limited');
const GOOD = fakeKey('good');

let mock: MockGemini;
let gw: TestGateway;
let client: OpenAI;

async function keyByMask(masked: string) {
  const res = await gw.admin('GET', '/keys?page_size=500');
  return (res.body.keys as Array<Record<string, any>>).find((k) => k.key === masked)!;
}

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [INVALID, LIMITED, GOOD] });
  client = new OpenAI({ apiKey: gw.accessToken, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

afterEach(() => {
  mock.reset();
});

describe('failover across an invalid, a rate-limited and a good key', () => {
  it('answers, disables the invalid key with its reason, and cools the limited key for that model only', async () => {
    mock.setKey(INVALID, 'invalid');
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '58s' });

    for (let i = 0; i < 3; i++) {
      const completion = await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: `hello ${i}` }],
      });
      expect(completion.choices[0]?.message.content).toBeTruthy();
    }

    const invalid = await keyByMask(maskKey(INVALID));
    expect(invalid.state).toBe('disabled');
    expect(invalid.disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });
    expect(invalid.is_active).toBe(false);

    const limited = await keyByMask(maskKey(LIMITED));
    expect(limited.state).toBe('cooling');
    expect(limited.cooldowns).toHaveLength(1);
    expect(limited.cooldowns[0]).toMatchObject({ model: 'gemini-2.5-flash', reason: 'per_minute' });
    const until = Date.parse(limited.cooldowns[0].until);
    expect(until - Date.now()).toBeGreaterThan(50_000);
    expect(until - Date.now()).toBeLessThanOrEqual(58_000);

    // Each bad key was tried once; afterwards only the good key serves gemini-2.5-flash.
    const stats = mock.stats();
    expect(stats.byKey[maskKey(INVALID)]).toBe(1);
    expect(stats.byKey[maskKey(LIMITED)]).toBe(1);
    expect(stats.byKey[maskKey(GOOD)]).toBe(3);

    // Another model still uses the cooling key.
    mock.reset();
    for (let i = 0; i < 4; i++) {
      await client.chat.completions.create({
        model: 'gemini-2.5-pro',
        messages: [{ role: 'user', content: 'hi' }],
      });
    }
    expect(mock.stats().byKey[maskKey(LIMITED)]).toBe(2);
    expect(mock.stats().byKey[maskKey(GOOD)]).toBe(2);
    expect(mock.stats().byKey[maskKey(INVALID)]).toBeUndefined();
  });

  it('answers 429 with Retry-After in OpenAI shape when every usable key cools for the model', async () => {
    mock.setKey(GOOD, { rateLimit: 'per_minute', models: ['gemini-2.0-flash'], retryDelay: '30s' });
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.0-flash'], retryDelay: '20s' });
    const call = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'x' }] }),
      });
    const first = await call();
    expect(first.status).toBe(429);
    const second = await call();
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(10);
    expect(retryAfter).toBeLessThanOrEqual(20);
    const body = (await second.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'all_keys_cooling', param: null });
    expect(typeof body.error.message).toBe('string');
  });
});

describe('retry budget', () => {
  it('answers 429 with the upstream delay when the budget runs out on a rate-limited key', async () => {
    await gw.admin('PUT', '/config', { max_retries: 0 });
    try {
      mock.setKey(GOOD, { rateLimit: 'per_minute', models: ['gemini-3-flash-preview'], retryDelay: '7s' });
      mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-3-flash-preview'], retryDelay: '7s' });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gemini-3-flash-preview', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'resource_exhausted' });
      expect(mock.stats().requests).toBe(1);
    } finally {
      await gw.admin('PUT', '/config', { max_retries: 3 });
    }
  });
});

describe('OpenAI client modes', () => {
  it('streams, recording the final cumulative usage rather than the sum', async () => {
    mock.configure({ streamChunks: 5 });
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-pro',
      messages: [{ role: 'user', content: 'count to five' }],
      stream: true,
    });
    let text = '';
    let lastUsage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) lastUsage = chunk.usage;
    }
    expect(chunks).toBeGreaterThanOrEqual(5);
    expect(text.length).toBeGreaterThan(0);
    expect(lastUsage).toBeDefined();
    await gw.running.gateway.flush();
    const usage = await gw.admin('GET', '/usage?limit=1&endpoint=chat.completions');
    expect(usage.body.usage[0]).toMatchObject({
      status: 200,
      model: 'gemini-2.5-pro',
      prompt_tokens: lastUsage!.prompt_tokens,
      completion_tokens: lastUsage!.completion_tokens,
      total_tokens: lastUsage!.total_tokens,
    });
  });

  it('runs chat.completions.stream() with tools to finalChatCompletion(), with tool-call indexes added', async () => {
    const runner = client.chat.completions.stream({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'weather in Paris and Tokyo?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    expect(calls.length).toBe(2);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    for (const call of calls) {
      expect(call.type).toBe('function');
      if (call.type === 'function') expect(() => JSON.parse(call.function.arguments)).not.toThrow();
    }
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('gives the SDK the embedding values it asked for, in base64 by default and as floats on request', async () => {
    const expected = [embed('a'), embed('b')].map((v) => Array.from(Float32Array.from(v)));
    // The SDK's default call sends encoding_format "base64" and decodes the answer as float32.
    const byDefault = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'b'] });
    expect(byDefault.data.map((d) => d.embedding)).toEqual(expected);
    const floats = await client.embeddings.create({
      model: 'gemini-embedding-001',
      input: ['a', 'b'],
      encoding_format: 'float',
    });
    expect(floats.data.map((d) => d.embedding)).toEqual([embed('a'), embed('b')]);
    const raw = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-embedding-001', input: 'a', encoding_format: 'base64' }),
    });
    const body = (await raw.json()) as { data: Array<{ embedding: unknown }>; usage: unknown };
    expect(typeof body.data[0]?.embedding).toBe('string');
    expect(body.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    const wrong = await client.embeddings
      .create({ model: 'gemini-embedding-001', input: 'a', encoding_format: 'int8' as 'float' })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrong as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      param: 'encoding_format',
    });
  });

  it('creates embeddings and lists models without the models/ prefix', async () => {
    const emb = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'b'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]?.embedding.length).toBeGreaterThan(0);
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain('gemini-2.5-flash');
    expect(ids.every((id) => !id.startsWith('models/'))).toBe(true);
    const one = await client.models.retrieve('gemini-2.5-flash');
    expect(one.id).toBe('gemini-2.5-flash');
  });

  it('passes client errors through once, in OpenAI shape, without trying other keys or counting a key error', async () => {
    const errorCounts = async () =>
      ((await gw.admin('GET', '/keys?page_size=500')).body.keys as Array<{ error_count: number }>).map(
        (k) => k.error_count,
      );
    const before = await errorCounts();
    const err = await client.chat.completions
      .create({ model: 'gemini-pro', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).status).toBe(404);
    expect(mock.stats().requests).toBe(1);
    expect(await errorCounts()).toEqual(before);
  });

  it('answers HEAD on a GET route like GET, without a body', async () => {
    const head = await fetch(`${gw.url}/v1/models`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${gw.accessToken}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('application/json');
    expect(await head.text()).toBe('');
  });

  it('never retries once the first byte of a stream has been sent', async () => {
    mock.configure({ fault: 'reset-mid-body', faultCount: 1, streamChunks: 6 });
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-pro',
      messages: [{ role: 'user', content: 'long answer' }],
      stream: true,
    });
    let received = '';
    const outcome = await (async () => {
      for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect(received.length).toBeGreaterThan(0);
    expect(mock.stats().requests).toBe(1);
  });
});

describe('rotation and usage', () => {
  it('shares requests equally across usable keys with round_robin and records them in SQLite', async () => {
    await gw.admin('POST', '/keys/bulk', { action: 'reset-errors', ids: [1, 2, 3] });
    const list = await gw.admin('GET', '/keys');
    const ids = (list.body.keys as Array<{ id: number }>).map((k) => k.id);
    await gw.admin('POST', '/keys/bulk', { action: 'enable', ids });
    const extra = await gw.admin('POST', '/keys', { text: [fakeKey('rr1'), fakeKey('rr2')].join('\n') });
    expect(extra.body).toEqual({ added: 2, duplicates: 0, invalid: 0 });
    await gw.admin('PATCH', `/keys/${ids[1]}`, { is_active: false });
    mock.reset();
    for (let i = 0; i < 40; i++) {
      await client.embeddings.create({ model: 'gemini-embedding-001', input: `n${i}` });
    }
    const counts = Object.values(mock.stats().byKey);
    expect(counts).toHaveLength(4);
    for (const n of counts) expect(n).toBe(10);

    await gw.running.gateway.flush();
    const db = new Database(gw.databasePath, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT id, gmail_email, is_active, total_requests, error_count FROM api_keys;')
        .all();
      expect(rows).toHaveLength(5);
      const byEndpoint = db
        .prepare('SELECT endpoint, COUNT(*) as count FROM api_key_usage GROUP BY endpoint;')
        .all() as Array<{ endpoint: string; count: number }>;
      expect(byEndpoint.find((r) => r.endpoint === 'embeddings')?.count).toBeGreaterThanOrEqual(40);
      const tokens = db
        .prepare("SELECT SUM(tokens_used) AS t FROM api_key_usage WHERE endpoint = 'embeddings'")
        .get() as {
        t: number;
      };
      expect(tokens.t).toBeGreaterThan(0);
      const config = db.prepare('SELECT * FROM pool_config;').all() as Array<{ key: string }>;
      expect(config.map((r) => r.key)).toContain('rotation_strategy');
    } finally {
      db.close();
    }
  });

  it('rejects requests without a valid access token', async () => {
    const anonymous = new OpenAI({ apiKey: 'wrong', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await anonymous.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(mock.stats().requests).toBe(0);
  });
});
