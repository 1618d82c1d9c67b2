/**
 * `POST /v1/responses` on Workers + D1, driven by the official `openai` client inside workerd. The
 * SDK reaches the Worker through its `fetch` option, since nothing listens on a port here; a
 * recording upstream `fetch` shows what reached the mock: the native API, the key placement, and
 * one request per attempt.
 */
import OpenAI from 'openai';
import { beforeEach, describe, expect, it } from 'vitest';
import { functionCallLoop, SDK_STREAM_ORDER } from '../support/responses.js';
import { ACCESS_TOKEN, ORIGIN, call, geminiKey, poolAdmin } from './harness.js';
import { upstreamRecordingWorker } from './upstream-worker.js';

const { worker, upstream } = upstreamRecordingWorker();

const client = new OpenAI({
  apiKey: ACCESS_TOKEN,
  baseURL: `${ORIGIN}/v1`,
  maxRetries: 0,
  fetch: (input, init) => call(worker, new Request(input, init)),
});

const { admin, useKeys, keyState, lastUsage } = poolAdmin(worker);

const GOOD = geminiKey('rspgood', 1);
const INVALID = geminiKey('rspbad', 1);
const LIMITED = geminiKey('rsplim', 1);

beforeEach(async () => {
  upstream.length = 0;
  await admin('PUT', '/admin/api/config', { rotation_strategy: 'round_robin', max_retries: 3 });
  await useKeys([[GOOD, 'ok']]);
});

describe('openai responses inside workerd, through the Worker', () => {
  it('responses.create goes to the native API with the aliased model and records its usage', async () => {
    const res = await client.responses.create({ model: 'gpt-5-codex', input: 'Say hello', store: false });
    expect(res.status).toBe('completed');
    expect(res.model).toBe('gpt-5-codex');
    expect(res.output_text.length).toBeGreaterThan(0);
    expect(upstream).toHaveLength(1);
    expect(new URL(upstream[0]!.url).pathname).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(upstream[0]!.key).toBe(GOOD);
    expect(upstream[0]!.authorization).toBeNull();
    expect(JSON.parse(upstream[0]!.body)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
    });
    expect(await lastUsage('responses')).toMatchObject({
      status: 200,
      model: 'gemini-2.5-flash',
      prompt_tokens: res.usage!.input_tokens,
      completion_tokens: res.usage!.output_tokens,
      total_tokens: res.usage!.total_tokens,
    });
  });

  it('responses.stream emits the typed events in order, then finalResponse()', async () => {
    const stream = client.responses.stream({ model: 'gemini-2.5-pro', input: 'Count to three' });
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    const final = await stream.finalResponse();
    expect(types.filter((t, i) => t !== types[i - 1])).toEqual(SDK_STREAM_ORDER);
    expect(new URL(upstream[0]!.url).search).toBe('?alt=sse');
    expect(final.status).toBe('completed');
    expect(await lastUsage('responses')).toMatchObject({
      status: 200,
      model: 'gemini-2.5-pro',
      total_tokens: final.usage!.total_tokens,
    });
  });

  for (const stream of [false, true]) {
    it(`runs a function_call → function_call_output loop on Gemini 3 with store: false (${stream ? 'streaming' : 'buffered'})`, async () => {
      const result = await functionCallLoop(client, 'gemini-3-flash-preview', stream);
      expect(result.calls).toHaveLength(2);
      expect(result.final.status).toBe('completed');
      expect(upstream).toHaveLength(2);
      const replayed = JSON.parse(upstream[1]!.body) as { contents: Array<{ role: string; parts: any[] }> };
      expect(replayed.contents[1]!.parts[0].thoughtSignature).toEqual(expect.any(String));
    });
  }

  it('fails over past an invalid key and cools a rate-limited key for that model only', async () => {
    await useKeys([
      [INVALID, 'invalid'],
      [LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '58s' }],
      [GOOD, 'ok'],
    ]);
    for (let i = 0; i < 3; i++) {
      expect((await client.responses.create({ model: 'gemini-2.5-flash', input: `hi ${i}` })).status).toBe(
        'completed',
      );
    }
    expect((await keyState(INVALID)).state).toBe('disabled');
    const limited = await keyState(LIMITED);
    expect(limited.state).toBe('cooling');
    expect(limited.cooldowns).toEqual([
      expect.objectContaining({ model: 'gemini-2.5-flash', reason: 'per_minute' }),
    ]);
    expect(upstream.filter((u) => u.key === GOOD)).toHaveLength(3);
  });

  it('passes a function declaration Google refuses through once, in OpenAI shape, key unharmed', async () => {
    const err = await client.responses
      .create({
        model: 'gemini-2.5-flash',
        input: 'x',
        tools: [{ type: 'function', name: 'bad name!', parameters: null, strict: false }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_argument',
    });
    expect(upstream).toHaveLength(1);
    expect((await keyState(GOOD)).consecutive_errors).toBe(0);
  });
});
