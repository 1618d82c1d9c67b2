/**
 * The Anthropic Messages dialect on Workers + D1, driven by the official `@anthropic-ai/sdk` inside
 * workerd. The SDK reaches the Worker through its `fetch` option, since nothing listens on a port.
 */
import Anthropic from '@anthropic-ai/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { anthropicSuite } from '../support/anthropic-suite.js';
import { ACCESS_TOKEN, ORIGIN, call, geminiKey, poolAdmin } from './harness.js';
import { upstreamRecordingWorker } from './upstream-worker.js';

const { worker, upstream, cutStreams } = upstreamRecordingWorker();

const client = new Anthropic({
  apiKey: ACCESS_TOKEN,
  baseURL: ORIGIN,
  maxRetries: 0,
  fetch: (input: string | URL | Request, init?: RequestInit) => call(worker, new Request(input, init)),
});

const { admin, useKeys, keyState, lastUsage } = poolAdmin(worker);

const GOOD = geminiKey('antgood', 1);
const INVALID = geminiKey('antbad', 1);
const LIMITED = geminiKey('antlim', 1);

beforeEach(async () => {
  cutStreams(0);
  upstream.length = 0;
  await admin('PUT', '/admin/api/config', { rotation_strategy: 'round_robin', max_retries: 3 });
  await useKeys([[GOOD, 'ok']]);
});

anthropicSuite(() => ({ client, lastUsage }));

describe('the pool behind /v1/messages on Workers', () => {
  it('fails over past an invalid and a rate-limited key, cooling the limited key for that model only', async () => {
    await useKeys([
      [INVALID, 'invalid'],
      [LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-pro'], retryDelay: '58s' }],
      [GOOD, 'ok'],
    ]);
    for (let i = 0; i < 3; i++) {
      const message = await client.messages.create({
        model: 'claude-opus-4-1',
        max_tokens: 50,
        messages: [{ role: 'user', content: `hello ${i}` }],
      });
      expect(message.stop_reason).toBe('end_turn');
    }
    expect((await keyState(INVALID)).disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });
    const limited = await keyState(LIMITED);
    expect(limited.state).toBe('cooling');
    expect(limited.cooldowns.map((c) => c.model)).toEqual(['gemini-2.5-pro']);
    expect(await lastUsage('messages')).toMatchObject({ model: 'gemini-2.5-pro', status: 200 });
  });

  it('never retries once the first byte of a stream has been sent', async () => {
    cutStreams(1);
    const stream = client.messages.stream({
      model: 'gemini-2.5-flash',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'long answer' }],
    });
    const outcome = await stream.finalMessage().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect(upstream).toHaveLength(1);
  });

  it('passes a tool Google refuses through as invalid_request_error, without charging the key', async () => {
    const outcome = await client.messages
      .create({
        model: 'gemini-2.5-flash',
        max_tokens: 50,
        tools: [{ name: 'bad name!', input_schema: { type: 'object', properties: {} } }],
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Anthropic.BadRequestError);
    expect((outcome as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('Invalid function name') },
    });
    expect(upstream).toHaveLength(1);
    const good = await keyState(GOOD);
    expect(good.state).toBe('active');
    expect(good.consecutive_errors).toBe(0);
  });
});
