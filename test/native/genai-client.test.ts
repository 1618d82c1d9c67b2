/**
 * The native Gemini API on the Node gateway, driven by the official `@google/genai` client with
 * only `httpOptions.baseUrl` and `apiKey` changed: every call, failover across an invalid, a
 * rate-limited and a good key, no retry after the first streamed byte, errors and usage rows.
 */
import { ApiError, GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { maskKey } from '../fixtures/mock-gemini/index.js';
import { MODELS } from '../fixtures/mock-gemini/models.js';
import { fakeKey } from '../support/keys.js';
import { genai, keyByMask, replaceKeys, usageRows, useNativeSuite } from './support.js';

const INVALID = fakeKey('native-invalid');
const LIMITED = fakeKey('native-limited');
const GOOD = fakeKey('native-good');

const { mock, gw } = useNativeSuite([GOOD]);

const prompt = (text: string) => ({ model: 'gemini-2.5-flash', contents: text });

describe('@google/genai through the gateway', () => {
  it('generateContent: the pooled key goes upstream in x-goog-api-key only, and usage records usageMetadata', async () => {
    const sent: Headers[] = [];
    const recording = new GoogleGenAI({
      apiKey: gw().accessToken,
      httpOptions: {
        baseUrl: gw().url,
        fetch: (input, init) => {
          sent.push(new Headers(init?.headers));
          return fetch(input, init);
        },
      },
    });
    const res = await recording.models.generateContent(prompt('Say hello'));
    expect(res.text).toBeTruthy();
    // How the SDK presents the access token: the x-goog-api-key header, no ?key=, no Bearer.
    expect(sent[0]?.get('x-goog-api-key')).toBe(gw().accessToken);
    expect(sent[0]?.get('authorization')).toBeNull();

    const stats = mock().stats();
    expect(stats.byPath).toEqual({ '/v1beta/models/gemini-2.5-flash:generateContent': 1 });
    expect(stats.keyInQuery).toBe(0);
    expect(stats.lastHeaders['x-goog-api-key']).toBe(maskKey(GOOD));
    expect(stats.lastHeaders.authorization).toBeUndefined();
    expect(JSON.stringify(stats.lastHeaders)).not.toContain(gw().accessToken);

    const meta = res.usageMetadata!;
    const [row] = await usageRows(gw(), 'limit=1&endpoint=generateContent');
    expect(row).toMatchObject({
      model: 'gemini-2.5-flash',
      status: 200,
      outcome: 'ok',
      key: maskKey(GOOD),
      prompt_tokens: meta.promptTokenCount,
      completion_tokens: meta.candidatesTokenCount! + meta.thoughtsTokenCount!,
      total_tokens: meta.totalTokenCount,
    });
    expect(row!.total_tokens).toBeGreaterThan(0);
  });

  it('runs an unchanged program configured only by GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY', async () => {
    vi.stubEnv('GOOGLE_API_KEY', '');
    vi.stubEnv('GOOGLE_GEMINI_BASE_URL', gw().url);
    vi.stubEnv('GEMINI_API_KEY', gw().accessToken);
    try {
      const ai = new GoogleGenAI({});
      const res = await ai.models.generateContent(prompt('Hello from the environment'));
      expect(res.text).toBeTruthy();
    } finally {
      vi.unstubAllEnvs();
    }
    expect(mock().stats().byKey).toEqual({ [maskKey(GOOD)]: 1 });
  });

  it('generateContentStream: SSE chunks arrive, and usage is the last chunk’s totals, not the sum', async () => {
    mock().configure({ streamChunks: 5 });
    const stream = await genai(gw()).models.generateContentStream(prompt('Count to five'));
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toHaveLength(5);
    expect(chunks.map((c) => c.text).join('')).not.toBe('');
    expect(mock().stats().byPath).toEqual({ '/v1beta/models/gemini-2.5-flash:streamGenerateContent': 1 });

    const last = chunks.at(-1)!.usageMetadata!;
    const summed = chunks.reduce((s, c) => s + (c.usageMetadata?.totalTokenCount ?? 0), 0);
    expect(summed).toBeGreaterThan(last.totalTokenCount!);
    const [row] = await usageRows(gw(), 'limit=1&endpoint=streamGenerateContent');
    expect(row).toMatchObject({
      status: 200,
      outcome: 'ok',
      prompt_tokens: last.promptTokenCount,
      completion_tokens: last.candidatesTokenCount! + last.thoughtsTokenCount!,
      total_tokens: last.totalTokenCount,
    });
  });

  it('embedContent (the SDK calls batchEmbedContents) and countTokens', async () => {
    const ai = genai(gw());
    const emb = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['first text', 'second text'],
      config: { outputDimensionality: 8 },
    });
    expect(emb.embeddings).toHaveLength(2);
    expect(emb.embeddings![0]!.values).toHaveLength(8);
    expect(emb.embeddings![0]!.values).not.toEqual(emb.embeddings![1]!.values);

    const count = await ai.models.countTokens(prompt('How many tokens is this sentence?'));
    expect(count.totalTokens).toBeGreaterThan(0);

    expect(mock().stats().byPath).toEqual({
      '/v1beta/models/gemini-embedding-001:batchEmbedContents': 1,
      '/v1beta/models/gemini-2.5-flash:countTokens': 1,
    });
    const rows = await usageRows(gw(), 'limit=2');
    expect(rows.map((r) => [r.endpoint, r.model, r.status])).toEqual([
      ['countTokens', 'gemini-2.5-flash', 200],
      ['batchEmbedContents', 'gemini-embedding-001', 200],
    ]);
  });

  it('models.list pages through every model with pageSize/pageToken, and models.get reads one', async () => {
    const ai = genai(gw());
    const pager = await ai.models.list({ config: { pageSize: 4 } });
    const names: string[] = [];
    for await (const model of pager) names.push(model.name!);
    expect(names).toEqual(MODELS.map((m) => `models/${m.name}`));
    // Two pages of 4 for 6 models: the page token travelled through the gateway.
    expect(mock().stats().byPath['/v1beta/models']).toBe(2);

    const one = await ai.models.get({ model: 'gemini-2.5-pro' });
    expect(one).toMatchObject({ name: 'models/gemini-2.5-pro', displayName: 'Gemini 2.5 Pro' });
    expect(one.inputTokenLimit).toBeGreaterThan(0);
  });

  it('an unknown model is the client’s error: native 404 the SDK surfaces as ApiError, not retried', async () => {
    const err = await genai(gw())
      .models.generateContent({ model: 'gemini-pro', contents: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    const body = JSON.parse((err as ApiError).message) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(body.error.message).toContain('models/gemini-pro is not found');
    expect(mock().stats().requests).toBe(1);
    const key = await keyByMask(gw(), maskKey(GOOD));
    expect(key).toMatchObject({ state: 'active', consecutive_errors: 0 });
  });

  it('a wrong access token is refused in the native shape before reaching Gemini', async () => {
    const err = await genai(gw(), 'not-a-token')
      .models.generateContent(prompt('x'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(JSON.parse((err as ApiError).message)).toMatchObject({
      error: { code: 401, status: 'UNAUTHENTICATED' },
    });
    expect(mock().stats().requests).toBe(0);
  });
});

describe('pool behaviour on native routes', () => {
  beforeAll(async () => {
    await replaceKeys(gw(), [INVALID, LIMITED, GOOD]);
  });

  it('fails over past an invalid and a rate-limited key: invalid disabled, limited cooling for the path’s model only', async () => {
    mock().setKey(INVALID, 'invalid');
    mock().setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '58s' });
    const ai = genai(gw());
    for (let i = 0; i < 3; i++) {
      const res = await ai.models.generateContent(prompt(`hello ${i}`));
      expect(res.text).toBeTruthy();
    }
    const invalid = await keyByMask(gw(), maskKey(INVALID));
    expect(invalid.state).toBe('disabled');
    expect(invalid.disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });

    const limited = await keyByMask(gw(), maskKey(LIMITED));
    expect(limited.state).toBe('cooling');
    expect(limited.disabled).toBeNull();
    expect(limited.cooldowns.map((c) => [c.model, c.reason])).toEqual([['gemini-2.5-flash', 'per_minute']]);

    const stats = mock().stats();
    expect(stats.byKey[maskKey(INVALID)]).toBe(1);
    expect(stats.byKey[maskKey(LIMITED)]).toBe(1);
    expect(stats.byKey[maskKey(GOOD)]).toBe(3);
    expect(stats.keyInQuery).toBe(0);

    // The failed attempts are recorded too, with their outcome.
    const rows = await usageRows(gw(), 'limit=20&endpoint=generateContent');
    const outcomes = rows.filter((r) => r.status !== 200).map((r) => [r.key, r.outcome]);
    expect(outcomes).toContainEqual([maskKey(INVALID), 'key-fatal']);
    expect(outcomes).toContainEqual([maskKey(LIMITED), 'rate-limited']);

    // Another model still uses the cooling key, streams included.
    mock().reset();
    for (let i = 0; i < 2; i++) {
      const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'hi' });
      for await (const chunk of stream) expect(chunk.candidates).toBeDefined();
    }
    expect(mock().stats().byKey).toEqual({ [maskKey(LIMITED)]: 1, [maskKey(GOOD)]: 1 });
  });

  it('takes the cooldown model from the path when the 429 names none', async () => {
    await replaceKeys(gw(), [LIMITED, GOOD]);
    mock().setKey(LIMITED, { rateLimit: 'bare', models: ['gemini-2.0-flash'] });
    const ai = genai(gw());
    for (let i = 0; i < 2; i++) {
      const stream = await ai.models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'x' });
      const chunks: GenerateContentResponse[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(0);
    }
    const limited = await keyByMask(gw(), maskKey(LIMITED));
    expect(limited.cooldowns.map((c) => c.model)).toEqual(['gemini-2.0-flash']);
    expect(mock().stats().byKey[maskKey(LIMITED)]).toBe(1);
  });

  it('answers 429 RESOURCE_EXHAUSTED with Retry-After when every key cools for the model', async () => {
    await replaceKeys(gw(), [LIMITED, GOOD]);
    mock().setKey(LIMITED, {
      rateLimit: 'per_minute',
      models: ['gemini-3-flash-preview'],
      retryDelay: '30s',
    });
    mock().setKey(GOOD, { rateLimit: 'per_minute', models: ['gemini-3-flash-preview'], retryDelay: '20s' });
    const ai = genai(gw());
    for (let i = 0; i < 2; i++) {
      const err = await ai.models
        .generateContent({ model: 'gemini-3-flash-preview', contents: 'x' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(429);
      const body = JSON.parse((err as ApiError).message) as { error: { details: unknown[] } };
      expect(body).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
      // The delay in Google's own place for it, where Gemini CLI reads it.
      const [retryInfo] = body.error.details as Array<{ '@type': string; retryDelay: string }>;
      expect(retryInfo!['@type']).toBe('type.googleapis.com/google.rpc.RetryInfo');
      const seconds = Number(/^(\d+)s$/.exec(retryInfo!.retryDelay)?.[1]);
      expect(seconds).toBeGreaterThan(10);
      expect(seconds).toBeLessThanOrEqual(20);
    }
    expect(mock().stats().requests).toBe(2);
  });

  it('never retries once the first byte of a stream has been sent', async () => {
    await replaceKeys(gw(), [LIMITED, GOOD]);
    mock().configure({ fault: 'reset-mid-body', faultCount: 1, streamChunks: 6 });
    const stream = await genai(gw()).models.generateContentStream(prompt('a long answer'));
    const received: GenerateContentResponse[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) received.push(chunk);
    })().catch((e: unknown) => e);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(6);
    expect(outcome).toBeInstanceOf(ApiError);
    expect((outcome as ApiError).status).toBe(502);
    expect(mock().stats().requests).toBe(1);

    const [row] = await usageRows(gw(), 'limit=1&endpoint=streamGenerateContent');
    expect(row).toMatchObject({ attempt: 1, outcome: 'upstream-fault', error: 'stream interrupted' });
    // What did arrive is still counted.
    expect(row!.total_tokens).toBe(received.at(-1)!.usageMetadata!.totalTokenCount);
  });
});
