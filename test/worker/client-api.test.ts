/**
 * The client API through the Worker's default export, inside workerd, with the mock Gemini as
 * upstream and D1 as storage: rotation, failover and classification, per-model cooldowns,
 * streaming with tools, error shapes and usage totals.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import worker from '../../src/runtime/worker/index.js';
import { adminRequest, call as callWith, chatRequest, geminiKey, masked, mock, rows } from './harness.js';

/** The deployed entry, with its per-request log lines turned off to keep test output readable. */
const bindings = { ...env, LOG_REQUESTS: '0' };
const call = (w: typeof worker, request: Request) => callWith(w, request, bindings);

interface AdminKey {
  id: number;
  key: string;
  state: 'active' | 'cooling' | 'disabled';
  cooldowns: Array<{ model: string; reason: string }>;
  disabled: { by: string; reason: string; until: string | null } | null;
  consecutive_errors: number;
}

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await call(worker, adminRequest(method, path, body));
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as T;
}

async function listKeys(): Promise<AdminKey[]> {
  return (await admin<{ keys: AdminKey[] }>('GET', '/admin/api/keys?page_size=500')).keys;
}

/** Replaces the pool's keys with `keys`, each with its behaviour at the mock; returns ids in order. */
async function useKeys(keys: Array<[string, Parameters<typeof mock.setKey>[1]]>): Promise<number[]> {
  const existing = await listKeys();
  if (existing.length > 0) {
    await admin('POST', '/admin/api/keys/bulk', { action: 'delete', ids: existing.map((k) => k.id) });
  }
  for (const [key, behavior] of keys) await mock.setKey(key, behavior);
  const added = await admin<{ added: number }>('POST', '/admin/api/keys', {
    keys: keys.map(([api_key]) => ({ api_key })),
  });
  expect(added.added).toBe(keys.length);
  const byKey = new Map((await listKeys()).map((k) => [k.key.slice(-4), k.id]));
  return keys.map(([key]) => byKey.get(key.slice(-4))!);
}

const chat = (model = 'gemini-2.5-flash', extra: Record<string, unknown> = {}) =>
  chatRequest({ model, messages: [{ role: 'user', content: 'Hello there' }], ...extra });

async function keyById(id: number): Promise<AdminKey> {
  const key = (await listKeys()).find((k) => k.id === id);
  if (!key) throw new Error(`no key ${id}`);
  return key;
}

beforeEach(async () => {
  await admin('PUT', '/admin/api/config', { rotation_strategy: 'round_robin', max_retries: 3 });
});

describe('client API on Workers + D1', () => {
  it('rotates requests evenly over the keys (round robin)', async () => {
    const keys = [geminiKey('rot', 1), geminiKey('rot', 2), geminiKey('rot', 3)];
    const ids = await useKeys(keys.map((k) => [k, 'ok']));
    const before = await mock.stats();
    for (let i = 0; i < 6; i++) expect((await call(worker, chat())).status).toBe(200);
    const after = await mock.stats();
    for (const key of keys) {
      expect((after.byKey[masked(key)] ?? 0) - (before.byKey[masked(key)] ?? 0)).toBe(2);
    }
    const counts = await rows<{ id: number; total_requests: number }>(
      `SELECT id, total_requests FROM api_keys WHERE id IN (${ids.join(',')}) ORDER BY id`,
    );
    expect(counts.map((r) => r.total_requests)).toEqual([2, 2, 2]);
  });

  it('fails over past an invalid and a rate-limited key, and classifies each', async () => {
    const invalid = geminiKey('fail', 1);
    const limited = geminiKey('fail', 2);
    const good = geminiKey('fail', 3);
    const [invalidId, limitedId, goodId] = await useKeys([
      [invalid, 'invalid'],
      [limited, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '30s' }],
      [good, 'ok'],
    ]);
    // Three requests: round robin starts each on a different key, so every key is tried.
    for (let i = 0; i < 3; i++) {
      const res = await call(worker, chat());
      expect(res.status).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
    }

    const invalidKey = await keyById(invalidId!);
    expect(invalidKey.state).toBe('disabled');
    expect(invalidKey.disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });

    const limitedKey = await keyById(limitedId!);
    expect(limitedKey.state).toBe('cooling');
    expect(limitedKey.disabled).toBeNull();
    expect(limitedKey.cooldowns.map((c) => [c.model, c.reason])).toEqual([
      ['gemini-2.5-flash', 'per_minute'],
    ]);

    const goodKey = await keyById(goodId!);
    expect(goodKey.state).toBe('active');

    // The state changes reached D1, not only the isolate's snapshot.
    const [disabledRow] = await rows<{ disabled_reason: string }>(
      'SELECT disabled_reason FROM api_keys WHERE id = ?',
      invalidId,
    );
    expect(disabledRow!.disabled_reason).toBe('API_KEY_INVALID');
    // A 30 s cooldown reaches other isolates through the attempt's usage row, not key_cooldowns.
    const limitedRows = await rows<{ error: string }>(
      "SELECT error FROM api_key_usage WHERE api_key_id = ? AND outcome = 'rate-limited'",
      limitedId,
    );
    expect(limitedRows.map((r) => r.error)).toEqual([
      'rate-limited: per_minute gemini-2.5-flash retry 30000ms: RESOURCE_EXHAUSTED',
    ]);
    expect(await rows('SELECT model FROM key_cooldowns WHERE api_key_id = ?', limitedId)).toEqual([]);
  });

  it('cools a key down for the limited model only', async () => {
    const key = geminiKey('cool', 1);
    await useKeys([[key, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '40s' }]]);

    const limited = await call(worker, chat('gemini-2.5-flash'));
    expect(limited.status).toBe(429);
    const limitedBody = (await limited.json()) as { error: { type: string } };
    expect(Array.isArray(limitedBody)).toBe(false);
    expect(limitedBody.error.type).toBe('rate_limit_error');

    // Another model still works on the same key.
    expect((await call(worker, chat('gemini-2.5-pro'))).status).toBe(200);

    // The cooling model is refused without bothering Gemini.
    const before = (await mock.stats()).byKey[masked(key)] ?? 0;
    const cooling = await call(worker, chat('gemini-2.5-flash'));
    expect(cooling.status).toBe(429);
    expect(Number(cooling.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await mock.stats()).byKey[masked(key)] ?? 0).toBe(before);
  });

  it('streams tool calls with an index added, in arrival order, and records the last usage', async () => {
    const key = geminiKey('stream', 1);
    const [id] = await useKeys([[key, 'ok']]);
    const res = await call(
      worker,
      chat('gemini-3-flash-preview', {
        stream: true,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const frames = text
      .split('\n\n')
      .map((f) => f.trim())
      .filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map(
      (f) =>
        JSON.parse(f.replace(/^data: /, '')) as {
          choices: Array<{ delta: { tool_calls?: Array<{ index: number; id: string }> } }>;
          usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
        },
    );
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.length).toBe(2);
    expect(calls.map((c) => c.index)).toEqual([0, 1]);

    const last = chunks.at(-1)!.usage;
    const [row] = await rows<{ prompt_tokens: number; completion_tokens: number; total_tokens: number }>(
      'SELECT prompt_tokens, completion_tokens, total_tokens FROM api_keys WHERE id = ?',
      id,
    );
    expect(row).toEqual(last);
  });

  it('answers upstream errors in OpenAI’s shape, never Google’s array, without blaming the key', async () => {
    const key = geminiKey('shape', 1);
    const [id] = await useKeys([[key, 'ok']]);
    const res = await call(worker, chat('gemini-2.5-flash', { web_search_options: {} }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as unknown;
    expect(Array.isArray(body)).toBe(false);
    expect(body).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('web_search_options') },
    });
    expect(JSON.stringify(body)).not.toContain(key);

    const unknownModel = await call(worker, chat('gemini-pro'));
    expect(unknownModel.status).toBe(404);
    expect(await unknownModel.json()).toMatchObject({ error: { type: 'not_found_error' } });

    const after = await keyById(id!);
    expect(after.state).toBe('active');
    expect(after.consecutive_errors).toBe(0);
  });

  it('answers in OpenAI’s shape when every key is invalid', async () => {
    const keys = [geminiKey('dead', 1), geminiKey('dead', 2)];
    await useKeys(keys.map((k) => [k, 'invalid']));
    const res = await call(worker, chat());
    expect(res.status).toBeGreaterThanOrEqual(400);
    const text = await res.text();
    const body = JSON.parse(text) as { error: { message: string; type: string } };
    expect(Array.isArray(body)).toBe(false);
    expect(typeof body.error.message).toBe('string');
    for (const key of keys) expect(text).not.toContain(key);
    expect((await listKeys()).every((k) => k.state === 'disabled')).toBe(true);
  });

  it('writes usage rows and key totals to D1 after the response', async () => {
    const key = geminiKey('usage', 1);
    const [id] = await useKeys([[key, 'ok']]);
    const totals = { prompt: 0, completion: 0, total: 0 };
    for (let i = 0; i < 3; i++) {
      const res = await call(worker, chat());
      const { usage } = (await res.json()) as {
        usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      };
      totals.prompt += usage.prompt_tokens;
      totals.completion += usage.completion_tokens;
      totals.total += usage.total_tokens;
    }
    const [row] = await rows<Record<string, number>>(
      'SELECT total_requests, error_count, prompt_tokens, completion_tokens, total_tokens FROM api_keys WHERE id = ?',
      id,
    );
    expect(row).toEqual({
      total_requests: 3,
      error_count: 0,
      prompt_tokens: totals.prompt,
      completion_tokens: totals.completion,
      total_tokens: totals.total,
    });
    const usage = await rows<{
      endpoint: string;
      response_status: number;
      tokens_used: number;
      model: string;
    }>(
      'SELECT endpoint, response_status, tokens_used, model FROM api_key_usage WHERE api_key_id = ? ORDER BY id',
      id,
    );
    expect(usage).toHaveLength(3);
    expect(usage.every((u) => u.response_status === 200 && u.model === 'gemini-2.5-flash')).toBe(true);
    expect(usage.reduce((s, u) => s + u.tokens_used, 0)).toBe(totals.total);
  });

  it('rejects a missing or unknown access token', async () => {
    const missing = await call(
      worker,
      new Request('https://gateway.test/v1/models', { headers: { 'content-type': 'application/json' } }),
    );
    expect(missing.status).toBe(401);
    const wrong = await call(worker, chatRequest({ model: 'gemini-2.5-flash', messages: [] }, 'not-a-token'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { type: 'authentication_error' } });
  });
});
