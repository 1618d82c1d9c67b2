/**
 * The Anthropic Messages dialect on Workers + D1, driven by the official `@anthropic-ai/sdk` inside
 * workerd. The SDK reaches the Worker through its `fetch` option, since nothing listens on a port.
 */
import Anthropic from '@anthropic-ai/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { createWorker } from '../../src/runtime/worker/worker.js';
import { anthropicSuite } from '../support/anthropic-suite.js';
import { ACCESS_TOKEN, ORIGIN, adminRequest, call, geminiKey, mock } from './harness.js';

/** Upstream stream responses still to cut after their first event, like a connection reset. */
let cutStreams = 0;
let upstreamRequests = 0;

async function cutAfterFirstEvent(res: Response): Promise<Response> {
  const text = await res.text();
  const end = text.indexOf('\r\n\r\n') + 4;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text.slice(0, end)));
    },
    pull(controller) {
      controller.error(new Error('connection reset by peer'));
    },
  });
  return { status: res.status, ok: res.ok, headers: res.headers, body } as unknown as Response;
}

const worker = createWorker({
  fetch: async (input, init) => {
    upstreamRequests += 1;
    const res = await fetch(input, init);
    if (cutStreams > 0 && res.ok && new Request(input, init).url.includes(':streamGenerateContent')) {
      cutStreams -= 1;
      return cutAfterFirstEvent(res);
    }
    return res;
  },
  logger: () => {},
});

const client = new Anthropic({
  apiKey: ACCESS_TOKEN,
  baseURL: ORIGIN,
  maxRetries: 0,
  fetch: (input: string | URL | Request, init?: RequestInit) => call(worker, new Request(input, init)),
});

interface AdminKey {
  id: number;
  key: string;
  state: string;
  consecutive_errors: number;
  cooldowns: Array<{ model: string }>;
  disabled: { by: string; reason: string } | null;
}

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(worker, adminRequest(method, path, body));
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

async function useKeys(keys: Array<[string, Parameters<typeof mock.setKey>[1]]>): Promise<void> {
  const existing = (await admin('GET', '/admin/api/keys?page_size=500')).keys as AdminKey[];
  if (existing.length > 0) {
    await admin('POST', '/admin/api/keys/bulk', { action: 'delete', ids: existing.map((k) => k.id) });
  }
  for (const [key, behavior] of keys) await mock.setKey(key, behavior);
  const added = await admin('POST', '/admin/api/keys', { keys: keys.map(([api_key]) => ({ api_key })) });
  expect(added.added).toBe(keys.length);
}

async function keyState(apiKey: string): Promise<AdminKey> {
  const keys = (await admin('GET', '/admin/api/keys?page_size=500')).keys as AdminKey[];
  return keys.find((k) => k.key.endsWith(apiKey.slice(-4)))!;
}

async function lastUsage(endpoint: string): Promise<Record<string, unknown>> {
  return (await admin('GET', `/admin/api/usage?limit=1&endpoint=${endpoint}`)).usage[0];
}

const GOOD = geminiKey('antgood', 1);
const INVALID = geminiKey('antbad', 1);
const LIMITED = geminiKey('antlim', 1);

beforeEach(async () => {
  cutStreams = 0;
  upstreamRequests = 0;
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
    cutStreams = 1;
    const stream = client.messages.stream({
      model: 'gemini-2.5-flash',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'long answer' }],
    });
    const outcome = await stream.finalMessage().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect(upstreamRequests).toBe(1);
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
    expect(upstreamRequests).toBe(1);
    const good = await keyState(GOOD);
    expect(good.state).toBe('active');
    expect(good.consecutive_errors).toBe(0);
  });
});
