/**
 * The native Gemini API on Workers + D1, driven by the official `@google/genai` client inside
 * workerd (its web build). The SDK reaches the Worker through `httpOptions.fetch`, since nothing
 * listens on a port here; everything else is the program as a user writes it. A recording
 * upstream `fetch` shows what reached the mock: key placement, bodies, one request per attempt.
 */
import { ApiError, GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { readUntilFailure } from '../support/streams.js';
import { ACCESS_TOKEN, ORIGIN, call, geminiKey, poolAdmin } from './harness.js';
import { upstreamRecordingWorker } from './upstream-worker.js';

/** Upstream requests as the Worker sent them. */
const { worker, upstream, cutStreams } = upstreamRecordingWorker();

/** What the SDK put on the wire, in order. */
const clientBodies: string[] = [];

function genai(apiKey = ACCESS_TOKEN): GoogleGenAI {
  return new GoogleGenAI({
    apiKey,
    httpOptions: {
      baseUrl: ORIGIN,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        clientBodies.push(request.method === 'POST' ? await request.clone().text() : '');
        return call(worker, request);
      },
    },
  });
}

const { admin, useKeys, keyState, lastUsage } = poolAdmin(worker);

const GOOD = geminiKey('ntvgood', 1);
const INVALID = geminiKey('ntvbad', 1);
const LIMITED = geminiKey('ntvlim', 1);
const prompt = (text: string, model = 'gemini-2.5-flash') => ({ model, contents: text });

beforeEach(async () => {
  upstream.length = 0;
  clientBodies.length = 0;
  cutStreams(0);
  await admin('PUT', '/admin/api/config', { rotation_strategy: 'round_robin', max_retries: 3 });
  await useKeys([[GOOD, 'ok']]);
});

describe('@google/genai inside workerd, through the Worker', () => {
  it('generateContent: body untouched, pooled key only in x-goog-api-key, usage from usageMetadata', async () => {
    const res = await genai().models.generateContent({
      ...prompt('Say hello'),
      config: { temperature: 0.3, topK: 7, safetySettings: [] },
    });
    expect(res.text).toBeTruthy();
    expect(upstream).toHaveLength(1);
    const [sent] = upstream;
    expect(new URL(sent!.url).pathname).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(new URL(sent!.url).search).toBe('');
    expect(sent!.key).toBe(GOOD);
    expect(sent!.authorization).toBeNull();
    expect(sent!.body).toBe(clientBodies[0]);
    expect(JSON.parse(sent!.body)).toMatchObject({ generationConfig: { temperature: 0.3, topK: 7 } });

    const meta = res.usageMetadata!;
    expect(await lastUsage('generateContent')).toMatchObject({
      status: 200,
      outcome: 'ok',
      prompt_tokens: meta.promptTokenCount,
      completion_tokens: meta.candidatesTokenCount! + meta.thoughtsTokenCount!,
      total_tokens: meta.totalTokenCount,
    });
  });

  it('generateContentStream over SSE records the last chunk’s totals', async () => {
    const stream = await genai().models.generateContentStream(prompt('Count to three'));
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toHaveLength(3);
    expect(new URL(upstream[0]!.url).search).toBe('?alt=sse');
    expect(upstream[0]!.body).toBe(clientBodies[0]);
    const last = chunks.at(-1)!.usageMetadata!;
    const sum = chunks.reduce((s, c) => s + c.usageMetadata!.totalTokenCount!, 0);
    expect(sum).toBeGreaterThan(last.totalTokenCount!);
    expect(await lastUsage('streamGenerateContent')).toMatchObject({
      status: 200,
      prompt_tokens: last.promptTokenCount,
      completion_tokens: last.candidatesTokenCount! + last.thoughtsTokenCount!,
      total_tokens: last.totalTokenCount,
    });
  });

  it('embedContent, countTokens, models.list with paging and models.get', async () => {
    const ai = genai();
    const emb = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['one', 'two', 'three'],
      config: { outputDimensionality: 5 },
    });
    expect(emb.embeddings?.map((e) => e.values?.length)).toEqual([5, 5, 5]);
    const count = await ai.models.countTokens(prompt('How many tokens?'));
    expect(count.totalTokens).toBeGreaterThan(0);
    const names: string[] = [];
    for await (const model of await ai.models.list({ config: { pageSize: 4 } })) names.push(model.name!);
    expect(names).toHaveLength(7);
    expect(names).toContain('models/gemini-2.5-flash');
    const one = await ai.models.get({ model: 'gemini-2.0-flash' });
    expect(one.name).toBe('models/gemini-2.0-flash');

    expect(upstream.map((u) => new URL(u.url).pathname + new URL(u.url).search)).toEqual([
      '/v1beta/models/gemini-embedding-001:batchEmbedContents',
      '/v1beta/models/gemini-2.5-flash:countTokens',
      '/v1beta/models?pageSize=4',
      expect.stringMatching(/^\/v1beta\/models\?pageSize=4&pageToken=\w+$/),
      '/v1beta/models/gemini-2.0-flash',
    ]);
    expect(upstream[0]!.body).toBe(clientBodies[0]);
    expect(upstream.every((u) => u.key === GOOD && !/[?&]key=/.test(u.url))).toBe(true);
  });

  it('an unknown model: native 404 surfaced as ApiError, one upstream request, key unharmed', async () => {
    const err = await genai()
      .models.generateContent(prompt('x', 'gemini-pro'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    expect(JSON.parse((err as ApiError).message)).toMatchObject({
      error: { code: 404, status: 'NOT_FOUND' },
    });
    expect(upstream).toHaveLength(1);
    expect(await keyState(GOOD)).toMatchObject({ state: 'active', consecutive_errors: 0 });
  });

  it('a wrong access token: 401 UNAUTHENTICATED, nothing sent upstream', async () => {
    const err = await genai('nope')
      .models.generateContent(prompt('x'))
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
    expect(JSON.parse((err as ApiError).message)).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
    expect(upstream).toHaveLength(0);
  });
});

describe('pool behaviour on native routes, on Workers', () => {
  it('fails over past an invalid and a rate-limited key; cooling is for the path’s model only', async () => {
    await useKeys([
      [INVALID, 'invalid'],
      [LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '45s' }],
      [GOOD, 'ok'],
    ]);
    const ai = genai();
    for (let i = 0; i < 3; i++)
      expect((await ai.models.generateContent(prompt(`hi ${i}`))).text).toBeTruthy();

    const tries = (key: string) => upstream.filter((u) => u.key === key).length;
    expect([tries(INVALID), tries(LIMITED), tries(GOOD)]).toEqual([1, 1, 3]);
    expect(await keyState(INVALID)).toMatchObject({
      state: 'disabled',
      disabled: { by: 'auto', reason: 'API_KEY_INVALID' },
    });
    const limited = await keyState(LIMITED);
    expect(limited.state).toBe('cooling');
    expect(limited.cooldowns.map((c) => [c.model, c.reason])).toEqual([['gemini-2.5-flash', 'per_minute']]);

    upstream.length = 0;
    for (let i = 0; i < 2; i++) {
      for await (const chunk of await ai.models.generateContentStream(prompt('x', 'gemini-2.5-pro'))) {
        expect(chunk.candidates).toBeDefined();
      }
    }
    expect([tries(INVALID), tries(LIMITED), tries(GOOD)]).toEqual([0, 1, 1]);
  });

  it('never retries a stream once its first byte has been sent', async () => {
    await useKeys([
      [GOOD, 'ok'],
      [geminiKey('ntvgood', 2), 'ok'],
    ]);
    cutStreams(1);
    const stream = await genai().models.generateContentStream(prompt('a long answer'));
    const received: GenerateContentResponse[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) received.push(chunk);
    })().catch((e: unknown) => e);
    expect(received).toHaveLength(1);
    expect(outcome).toBeInstanceOf(ApiError);
    expect((outcome as ApiError).status).toBe(502);
    expect(upstream).toHaveLength(1);
    expect(await lastUsage('streamGenerateContent')).toMatchObject({
      attempt: 1,
      outcome: 'upstream-fault',
      error: 'stream interrupted',
      total_tokens: received[0]!.usageMetadata!.totalTokenCount,
    });
  });

  it('the streamed JSON array (no alt) breaks off the same way, without a retry', async () => {
    cutStreams(1);
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${ORIGIN}/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=${ACCESS_TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"contents":[{"parts":[{"text":"go"}]}]}',
      }),
      env,
      ctx,
    );
    expect(res.status).toBe(200);
    const { text, failure } = await readUntilFailure(res.body!);
    await waitOnExecutionContext(ctx);
    expect(failure).toBeInstanceOf(Error);
    expect(text.startsWith('[{')).toBe(true);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.url).not.toContain('key=');
  });
});
