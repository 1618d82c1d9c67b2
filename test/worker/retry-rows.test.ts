/**
 * Rows D1 bills for a request retried on a second key, from D1's own `meta.rows_written`.
 */
import { beforeAll, expect, it } from 'vitest';
import { adminRequest, call, chatRequest, geminiKey, mock, rows } from './harness.js';
import { recordedWorker, split } from './recorded-worker.js';

const { worker, events } = recordedWorker();
const MODEL = 'gemini-2.5-flash';
const GOOD = geminiKey('retryrows', 1);
const FAULTY = geminiKey('retryrows', 2);
const chat = () => chatRequest({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] });

beforeAll(async () => {
  await mock.setKey(GOOD, 'ok');
  await mock.setKey(FAULTY, 'ok');
  const added = await call(
    worker,
    adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: GOOD }, { api_key: FAULTY }] }),
  );
  expect(added.status, await added.clone().text()).toBe(200);
  // The first request writes the access token's last use, then not again within a minute.
  expect((await call(worker, chat())).status).toBe(200);
  await mock.setKey(FAULTY, { rateLimit: 'per_minute', models: [MODEL] });
});

it('bills a request retried once after a 429 its two usage rows, two key rows and the cooldown, and reads nothing before the upstream', async () => {
  // Round robin: within two requests one of them tries the rate-limited key first.
  let retried: ReturnType<typeof split> | undefined;
  for (let i = 0; i < 3 && !retried; i++) {
    events.length = 0;
    expect((await call(worker, chat())).status).toBe(200);
    const seen = split(events);
    if (seen.upstream === 2) retried = seen;
  }
  expect(retried, 'no request was retried').toBeDefined();
  const { before, after } = retried!;
  expect(before).toEqual([]);
  const writes = after.filter((c) => c.kind === 'batch');
  expect(writes).toHaveLength(1);
  // Two usage rows (1 each); the good key's counters (1); the rate-limited key's counters and new
  // state in one UPDATE (1, plus 1 for its updated_at index entry, which lets other isolates see
  // the cooldown); the cooldown (1: a WITHOUT ROWID table, whose primary key is the table).
  expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(6);
  expect(writes[0]!.sql.filter((sql) => /^UPDATE api_keys/.test(sql))).toHaveLength(2);
  const attempts = await rows<{ attempt: number; outcome: string }>(
    'SELECT attempt, outcome FROM api_key_usage ORDER BY id DESC LIMIT 2',
  );
  expect(attempts).toEqual([
    { attempt: 2, outcome: 'ok' },
    { attempt: 1, outcome: 'rate-limited' },
  ]);
});
