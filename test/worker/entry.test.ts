/** The Worker entry itself: start-up, secrets, the scheduled handler, the panel and request logs. */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { PANEL_CSP } from '../../src/http/panel-headers.js';
import { createWorker } from '../../src/runtime/worker/worker.js';
import { adminRequest, call, chatRequest, geminiKey, mock, ORIGIN, rows } from './harness.js';

const quiet = { logger: () => {} };

describe('start-up', () => {
  it('answers admin routes with 503 and the wrangler command when ADMIN_TOKEN is not set', async () => {
    const worker = createWorker(quiet);
    const res = await call(worker, adminRequest('GET', '/admin/api/session'), {
      ...env,
      ADMIN_TOKEN: undefined,
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('wrangler secret put ADMIN_TOKEN');
  });

  it('answers 503 with a hint when D1 has no tables, then retries start-up on the next request', async () => {
    let failures = 1;
    const worker = createWorker({
      ...quiet,
      database: (bindings) =>
        new Proxy(bindings.LOG, {
          get(target, prop) {
            if (prop === 'prepare' && failures > 0) {
              return () => {
                failures -= 1;
                throw new Error('D1_ERROR: no such table: pool_config: SQLITE_ERROR');
              };
            }
            const value: unknown = Reflect.get(target, prop);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        }),
    });
    const first = await call(worker, new Request(`${ORIGIN}/healthz`));
    expect(first.status).toBe(503);
    const body = (await first.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('gateway_unavailable');
    expect(body.error.message).toContain('wrangler d1 migrations apply apikeys-pool');

    const second = await call(worker, new Request(`${ORIGIN}/healthz`));
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ status: 'ok', database: true });
  });

  it('shares one start-up between concurrent first requests', async () => {
    let configReads = 0;
    const worker = createWorker({
      ...quiet,
      database: (bindings) =>
        new Proxy(bindings.LOG, {
          get(target, prop) {
            if (prop === 'prepare') {
              return (sql: string) => {
                if (/FROM pool_config/i.test(sql)) configReads += 1;
                return target.prepare(sql);
              };
            }
            const value: unknown = Reflect.get(target, prop);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        }),
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(worker, new Request(`${ORIGIN}/healthz`))),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(configReads).toBe(1);
  });

  it('imports GEMINI_API_KEYS once: a key deleted later stays deleted in new isolates', async () => {
    const [a, b, c] = [geminiKey('envk', 1), geminiKey('envk', 2), geminiKey('envk', 3)];
    const bindings = { ...env, GEMINI_API_KEYS: `${a}\n${b},me@example.com` };
    const first = createWorker(quiet);
    expect((await call(first, new Request(`${ORIGIN}/healthz`), bindings)).status).toBe(200);
    const imported = await rows<{ id: number; api_key: string; gmail_email: string | null }>(
      'SELECT id, api_key, gmail_email FROM api_keys WHERE api_key IN (?, ?) ORDER BY id',
      a,
      b,
    );
    expect(imported.map((r) => [r.api_key, r.gmail_email])).toEqual([
      [a, null],
      [b, 'me@example.com'],
    ]);
    const deleted = await call(first, adminRequest('DELETE', `/admin/api/keys/${imported[0]!.id}`), bindings);
    expect(deleted.status).toBe(200);

    // A new isolate with the same secret does not bring the deleted key back.
    const second = createWorker(quiet);
    expect((await call(second, new Request(`${ORIGIN}/healthz`), bindings)).status).toBe(200);
    expect(await rows('SELECT id FROM api_keys WHERE api_key = ?', a)).toEqual([]);

    // A changed secret is imported.
    const third = createWorker(quiet);
    const changed = { ...bindings, GEMINI_API_KEYS: `${b}\n${c}` };
    expect((await call(third, new Request(`${ORIGIN}/healthz`), changed)).status).toBe(200);
    expect(await rows('SELECT id FROM api_keys WHERE api_key = ?', c)).toHaveLength(1);
  });
});

describe('scheduled handler', () => {
  it('clears expired cooldowns, ends temporary disables and prunes old usage', async () => {
    const worker = createWorker(quiet);
    const key = geminiKey('cron', 1);
    const added = await call(worker, adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: key }] }));
    expect(added.status).toBe(200);
    const [{ id }] = (await rows<{ id: number }>('SELECT id FROM api_keys WHERE api_key = ?', key)) as [
      { id: number },
    ];
    const past = Date.now() - 60_000;
    await env.LOG.batch([
      env.LOG.prepare(
        "UPDATE api_keys SET disabled_by = 'auto', disabled_reason = 'TOO_MANY_ERRORS', disabled_until = ?, is_active = 0, updated_at = ? WHERE id = ?",
      ).bind(past, past, id),
      env.LOG.prepare(
        "INSERT INTO key_cooldowns (api_key_id, model, until_ms, reason) VALUES (?, 'gemini-2.5-flash', ?, 'per_minute')",
      ).bind(id, past),
      env.LOG.prepare(
        "INSERT INTO api_key_usage (api_key_id, endpoint, response_status, tokens_used, request_timestamp) VALUES (?, 'chat.completions', 200, 5, ?)",
      ).bind(id, Date.now() - 400 * 86_400_000),
      // Retention always keeps the newest row (so no id is handed out twice); this one is recent anyway.
      env.LOG.prepare(
        "INSERT INTO api_key_usage (api_key_id, endpoint, response_status, tokens_used, request_timestamp) VALUES (?, 'embeddings', 200, 5, ?)",
      ).bind(id, Date.now() - 60_000),
    ]);

    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);

    expect(await rows('SELECT * FROM key_cooldowns WHERE api_key_id = ?', id)).toEqual([]);
    expect(await rows('SELECT endpoint FROM api_key_usage WHERE api_key_id = ?', id)).toEqual([
      { endpoint: 'embeddings' },
    ]);
    const [row] = await rows<{ disabled_by: string | null; is_active: number }>(
      'SELECT disabled_by, is_active FROM api_keys WHERE id = ?',
      id,
    );
    expect(row).toEqual({ disabled_by: null, is_active: 1 });
  });
});

describe('admin panel', () => {
  it('serves the built panel from the ASSETS binding', async () => {
    const worker = createWorker(quiet);
    const index = await call(worker, new Request(`${ORIGIN}/admin/`));
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('panel fixture');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    // The same security policy as on Node.
    expect(index.headers.get('content-security-policy')).toBe(PANEL_CSP);
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    const script = await call(worker, new Request(`${ORIGIN}/admin/assets/app.js`));
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('panelFixture');
    // Hashed build files are kept for a year, as on Node; nothing is sniffed.
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await call(worker, new Request(`${ORIGIN}/admin/assets/missing.js`));
    expect(missing.status).toBe(404);
    // The panel routes with `#/`: another path is not one of its files, not a sign of a missing build.
    const route = await call(worker, new Request(`${ORIGIN}/admin/keys`));
    expect(route.status).toBe(404);
    expect(await route.text()).not.toContain('not built');
  });
});

describe('request logs', () => {
  it('prints one structured line per request, without the key', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const worker = createWorker({ logger: (entry) => lines.push(entry) });
    const key = geminiKey('logs', 1);
    await mock.setKey(key, 'ok');
    await call(worker, adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: key }] }));
    lines.length = 0;
    const res = await call(
      worker,
      chatRequest({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(res.status).toBe(200);
    const requests = lines.filter((l) => l.event === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      route: 'chat.completions',
      model: 'gemini-2.5-flash',
      attempts: 1,
      status: 200,
      key_id: expect.any(Number),
      latency_ms: expect.any(Number),
      tokens: expect.any(Number),
    });
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(key);
  });
});

describe('MAX_BODY_MB', () => {
  const padded = (bytes: number) =>
    chatRequest({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
      pad: 'x'.repeat(bytes),
    });

  it('sets the largest body the Worker takes, named in its 413', async () => {
    const worker = createWorker(quiet);
    const bindings = { ...env, MAX_BODY_MB: '1', LOG_REQUESTS: '0' };
    const refused = await call(worker, padded(1024 * 1024), bindings);
    expect(refused.status).toBe(413);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('request_too_large');
    expect(body.error.message).toContain('1 MiB (MAX_BODY_MB)');
  });

  it('defaults to 32 MiB, and ignores a value out of range', async () => {
    const lines: unknown[] = [];
    const worker = createWorker({ logger: (line) => lines.push(line) });
    const bindings = { ...env, MAX_BODY_MB: '5000', LOG_REQUESTS: '0' };
    const refused = await call(worker, padded(32 * 1024 * 1024), bindings);
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('32 MiB');
    expect(lines).toContainEqual(expect.objectContaining({ event: 'invalid_setting', name: 'MAX_BODY_MB' }));
  });
});
