/**
 * Rows D1 bills for a request retried after a per-day 429: the cooldown lasts until midnight
 * Pacific, so it is stored (for isolates started later), without moving the key row; and with usage
 * tracking off, where the cooldown has no usage row to travel in.
 */
import { beforeAll, expect, it } from 'vitest';
import { adminRequest, call, chatRequest, geminiKey, mock, rows } from './harness.js';
import { firstRetried, recordedWorker } from './recorded-worker.js';

const { worker, events } = recordedWorker();
const MODEL = 'gemini-2.5-flash';
const GOOD = geminiKey('dayrows', 1);
const SPENT = geminiKey('dayrows', 2);
const chat = () => chatRequest({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] });

beforeAll(async () => {
  await mock.setKey(GOOD, 'ok');
  await mock.setKey(SPENT, 'ok');
  const added = await call(
    worker,
    adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: GOOD }, { api_key: SPENT }] }),
  );
  expect(added.status, await added.clone().text()).toBe(200);
  expect((await call(worker, chat())).status).toBe(200);
  await mock.setKey(SPENT, { rateLimit: 'per_day', models: [MODEL] });
});

it('writes 4 rows: two usage rows, the good key, and the stored cooldown', async () => {
  const retried = await firstRetried(events, () => call(worker, chat()), 3);
  expect(retried.before).toEqual([]);
  const writes = retried.after.filter((c) => c.kind === 'batch');
  expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(4);
  expect(writes[0]!.sql.filter((sql) => /^UPDATE api_keys/.test(sql))).toHaveLength(1);
  const stored = await rows<{ model: string; reason: string }>(
    'SELECT c.model, c.reason FROM key_cooldowns c JOIN api_keys k ON k.id = c.api_key_id WHERE k.api_key = ?',
    SPENT,
  );
  expect(stored).toEqual([{ model: MODEL, reason: 'per_day' }]);
});

it('with usage tracking off, a request retried once after a 429 writes 4 rows, as the cooldown has no usage row to travel in', async () => {
  const limited = geminiKey('dayrows', 3);
  await mock.setKey(limited, { rateLimit: 'per_minute', models: [MODEL] });
  const added = await call(worker, adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: limited }] }));
  expect(added.status).toBe(200);
  expect(
    (await call(worker, adminRequest('PUT', '/admin/api/config', { enable_usage_tracking: 0 }))).status,
  ).toBe(200);
  const retried = await firstRetried(events, () => call(worker, chat()), 3);
  const writes = retried.after.filter((c) => c.kind === 'batch');
  // The good key's counters (1); the rate-limited key's counters and updated_at (1, plus its index
  // entry); the cooldown (1).
  expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(4);
  expect(writes[0]!.sql.some((sql) => /api_key_usage/.test(sql))).toBe(false);
});
