/**
 * The Anthropic Messages dialect end to end on Node: real server, real SQLite file, the mock
 * Gemini upstream, and the official `@anthropic-ai/sdk` client unchanged.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { anthropicSuite } from '../support/anthropic-suite.js';

const INVALID = fakeKey('invalid');
const LIMITED = fakeKey('limited');
const GOOD = fakeKey('good');

let mock: MockGemini;
let gw: TestGateway;
let client: Anthropic;

async function keyByMask(masked: string) {
  const res = await gw.admin('GET', '/keys?page_size=500');
  return (res.body.keys as Array<Record<string, any>>).find((k) => k.key === masked)!;
}

async function lastUsage(endpoint: string) {
  await gw.running.gateway.flush();
  return (await gw.admin('GET', `/usage?limit=1&endpoint=${endpoint}`)).body.usage[0];
}

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [INVALID, LIMITED, GOOD] });
  client = new Anthropic({ apiKey: gw.accessToken, baseURL: gw.url, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

afterEach(() => {
  mock.reset();
});

anthropicSuite(() => ({ client, lastUsage }));

describe('the pool behind /v1/messages', () => {
  it('fails over past an invalid and a rate-limited key: invalid disabled, limited cooling for that model only', async () => {
    mock.setKey(INVALID, 'invalid');
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-pro'], retryDelay: '58s' });
    for (let i = 0; i < 3; i++) {
      const message = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: `hello ${i}` }],
      });
      expect(message.stop_reason).toBe('end_turn');
    }
    const invalid = await keyByMask(maskKey(INVALID));
    expect(invalid.disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });
    const limited = await keyByMask(maskKey(LIMITED));
    expect(limited.state).toBe('cooling');
    expect(limited.cooldowns).toEqual([expect.objectContaining({ model: 'gemini-2.5-pro' })]);
  });

  it('answers 429 rate_limit_error with retry-after when every key cools for the model', async () => {
    mock.setKey(GOOD, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '30s' });
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '30s' });
    const first = await client.messages
      .create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Anthropic.RateLimitError);
    const second = await client.messages
      .create({ model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(Anthropic.RateLimitError);
    const err = second as InstanceType<typeof Anthropic.RateLimitError>;
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('never retries once the first byte of a stream has been sent, and ends it with an error event', async () => {
    mock.configure({ fault: 'reset-mid-body', faultCount: 1, streamChunks: 6 });
    const stream = client.messages.stream({
      model: 'gemini-2.5-pro',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'long answer' }],
    });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const outcome = await stream.finalMessage().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect(mock.stats().requests).toBe(1);
    expect(text.length).toBeGreaterThan(0);
  });

  it('passes a tool Google refuses through as invalid_request_error, without charging the key', async () => {
    const before = await keyByMask(maskKey(GOOD));
    const outcome = await client.messages
      .create({
        model: 'gemini-2.5-pro',
        max_tokens: 100,
        tools: [{ name: 'get weather!', input_schema: { type: 'object', properties: {} } }],
        messages: [{ role: 'user', content: 'weather?' }],
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Anthropic.BadRequestError);
    const err = outcome as InstanceType<typeof Anthropic.BadRequestError>;
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(JSON.stringify(err.error)).toContain('Invalid function name');
    expect(mock.stats().requests).toBe(1);
    const after = await keyByMask(maskKey(GOOD));
    expect(after.error_count).toBe(before.error_count);
    expect(after.state).toBe(before.state);
  });

  it('refuses a request without a token in Anthropic’s shape, and reads x-api-key and Bearer', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const bearer = new Anthropic({ authToken: gw.accessToken, apiKey: null, baseURL: gw.url, maxRetries: 0 });
    const message = await bearer.messages.create({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect((await lastUsage('messages')).model).toBe('gemini-2.5-flash-lite');
  });
});
