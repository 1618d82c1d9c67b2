/**
 * D1 stays off the critical path: once an isolate is warm, a request reaches the upstream without
 * a single D1 query, and all of its writes leave afterwards in one `db.batch`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, call, chatRequest, geminiKey, mock, rows } from './harness.js';
import { recordedWorker, split } from './recorded-worker.js';

const { worker, events, allCalls, clock } = recordedWorker();

const KEY = geminiKey('warm', 1);
const chat = () =>
  chatRequest({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Say hello' }] });

beforeAll(async () => {
  await mock.setKey(KEY, 'ok');
  const added = await call(worker, adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: KEY }] }));
  expect(added.status, await added.clone().text()).toBe(200);
});

describe('warm isolate', () => {
  it('the cold start reads D1 (config, keys) before anything else', () => {
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => 'd1' in e)).toBe(true);
  });

  it('makes no D1 query before the upstream request, and writes once afterwards in one db.batch', async () => {
    // First client request: verifies the access token (one D1 read, then cached).
    expect((await call(worker, chat())).status).toBe(200);

    events.length = 0;
    const res = await call(worker, chat());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };

    const { before, after, upstream } = split(events);
    expect(upstream).toBe(1);
    // Not a single D1 query, so not a single row read, before the upstream request.
    expect(before).toEqual([]);
    expect(after).toHaveLength(1);
    const [write] = after;
    expect(write!.kind).toBe('batch');
    // Counters are atomic increments, never read-modify-write.
    expect(write!.sql.some((sql) => /total_requests\s*=\s*total_requests\s*\+\s*\?/.test(sql))).toBe(true);
    expect(write!.sql.some((sql) => /INSERT INTO api_key_usage/i.test(sql))).toBe(true);
    expect(write!.sql.every((sql) => !/^\s*SELECT/i.test(sql))).toBe(true);
    // The README's sizing figure, as D1 bills it: the usage row (no index entry, no AUTOINCREMENT
    // counter) and the key's counters. The access token's last use was written by the first
    // request and is not written again within a minute.
    expect(write!.rowsWritten, JSON.stringify(write)).toBeLessThanOrEqual(2);
    expect(write!.rowsWritten).toBe(2);

    const [row] = await rows<{ total_requests: number; prompt_tokens: number }>(
      'SELECT total_requests, prompt_tokens FROM api_keys WHERE api_key = ?',
      KEY,
    );
    expect(row!.total_requests).toBe(2);
    expect(row!.prompt_tokens).toBe(2 * body.usage.prompt_tokens);
  });

  // Without `INDEXED BY idx_api_keys_updated_at`, SQLite answers the refresh query with a full
  // table scan in id order, reading every key on every refresh.
  it('refreshes the snapshot after a request, reading only what changed', async () => {
    const config = await call(
      worker,
      adminRequest('PUT', '/admin/api/config', { snapshot_refresh_seconds: 1 }),
    );
    expect(config.status).toBe(200);
    const more = Array.from({ length: 300 }, (_, i) => geminiKey('warmmore', i)).join('\n');
    expect((await call(worker, adminRequest('POST', '/admin/api/keys', { text: more }))).status).toBe(200);

    // The first refresh picks up the 300 new keys. (Rows changed within the last 10 s are read
    // again, for clock skew between writers, so this one steps past that window.)
    clock.t += 11_000;
    expect((await call(worker, chat())).status).toBe(200);

    // The next one reads config and an index range with nothing new in it, not the whole table.
    clock.t += 2_000;
    events.length = 0;
    expect((await call(worker, chat())).status).toBe(200);
    const { before, after } = split(events);
    expect(before).toEqual([]);
    const reads = after.filter((c) => c.kind !== 'batch');
    expect(reads.some((c) => c.sql.some((sql) => /FROM api_keys/i.test(sql)))).toBe(true);
    const rowsRead = reads.reduce((sum, c) => sum + (c.rowsRead ?? 0), 0);
    expect(rowsRead).toBeLessThan(30);
  });

  it('writes one row per request with usage tracking off: the key counters', async () => {
    const config = await call(worker, adminRequest('PUT', '/admin/api/config', { enable_usage_tracking: 0 }));
    expect(config.status).toBe(200);
    events.length = 0;
    expect((await call(worker, chat())).status).toBe(200);
    const { before, after } = split(events);
    expect(before).toEqual([]);
    const writes = after.filter((c) => c.kind === 'batch');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.sql.some((sql) => /api_key_usage/.test(sql))).toBe(false);
    expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(1);
  });

  it('keeps every statement within D1’s 100 bound parameters', () => {
    expect(allCalls.length).toBeGreaterThan(3);
    expect(Math.max(...allCalls.flatMap((c) => c.binds))).toBeLessThanOrEqual(100);
  });
});
