/**
 * Rows D1 bills for a request retried on a second key, from D1's own `meta.rows_written`; how a
 * second isolate learns the cooldown; and the rate-limited key's counters, written later but exact.
 */
import { beforeAll, expect, it } from 'vitest';
import { adminRequest, call, chatRequest, geminiKey, mock, poolAdmin, rows } from './harness.js';
import { firstRetried, recordedWorker, split } from './recorded-worker.js';

const { worker, events, clock } = recordedWorker();
/** Another isolate over the same D1. */
const other = recordedWorker();
const MODEL = 'gemini-2.5-flash';
const GOOD = geminiKey('retryrows', 1);
const FAULTY = geminiKey('retryrows', 2);
const chat = (model = MODEL) => chatRequest({ model, messages: [{ role: 'user', content: 'Say hello' }] });
const faultyIn = async (w: typeof worker) => poolAdmin(w).keyState(FAULTY);
const newestUsageId = async () =>
  (await rows<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM api_key_usage'))[0]!.id;
/** The newest usage id when the other isolate started. */
let otherStart = 0;

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
  otherStart = await newestUsageId();
  expect((await call(other.worker, chat())).status).toBe(200);
  await mock.setKey(FAULTY, { rateLimit: 'per_minute', models: [MODEL] });
});

it('bills a request retried once after a 429 its two usage rows and the good key, and reads nothing before the upstream', async () => {
  // Round robin: within two requests one of them tries the rate-limited key first.
  const retried = await firstRetried(events, () => call(worker, chat()), 3);
  const { before, after } = retried;
  expect(before).toEqual([]);
  const writes = after.filter((c) => c.kind === 'batch');
  expect(writes).toHaveLength(1);
  // Two usage rows (1 each) and the good key's counters (1). The rate-limited key's 58 s cooldown
  // is not stored: other isolates read it from the usage row. Its counters wait for its next write.
  expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(3);
  expect(writes[0]!.sql.filter((sql) => /^UPDATE api_keys/.test(sql))).toHaveLength(1);
  expect(writes[0]!.sql.filter((sql) => /key_cooldowns/.test(sql))).toHaveLength(0);
  const attempts = await rows<{ attempt: number; outcome: string }>(
    'SELECT attempt, outcome FROM api_key_usage ORDER BY id DESC LIMIT 2',
  );
  expect(attempts).toEqual([
    { attempt: 2, outcome: 'ok' },
    { attempt: 1, outcome: 'rate-limited' },
  ]);
});

it('another isolate learns the cooldown from the usage row on its next refresh, reading only the new rows', async () => {
  const here = await faultyIn(worker);
  expect(here.state).toBe('cooling');
  expect((await faultyIn(other.worker)).state).toBe('active');
  const newRows = (await newestUsageId()) - otherStart;

  // A request for another model, so this isolate does not meet the 429 itself; its refresh follows it.
  other.clock.t += 6_000;
  other.events.length = 0;
  expect((await call(other.worker, chat('gemini-2.5-pro'))).status).toBe(200);
  const learnt = await faultyIn(other.worker);
  expect(learnt.state).toBe('cooling');
  expect(learnt.cooldowns).toEqual(here.cooldowns);
  const read = split(other.events).after.find((c) =>
    c.sql.some((sql) => /outcome = 'rate-limited'/.test(sql)),
  );
  // The usage rows added since this isolate started (a rowid range: no index), plus the newest one.
  expect(read, 'no rate-limit read').toBeDefined();
  expect(newRows).toBeGreaterThanOrEqual(3);
  expect(read!.rowsRead, JSON.stringify(read)).toBeLessThanOrEqual(newRows + 2);

  // An isolate started now reads back the last two minutes of usage when it starts.
  const late = recordedWorker();
  late.clock.t = clock.t;
  expect((await faultyIn(late.worker)).cooldowns).toEqual(here.cooldowns);
});

it("writes the rate-limited key's held counters with its next use, exactly", async () => {
  await mock.setKey(FAULTY, 'ok');
  clock.t += 60_000; // past the 58 s cooldown, before its counters are due on their own
  for (let i = 0; i < 2; i++) {
    events.length = 0;
    expect((await call(worker, chat())).status).toBe(200);
    const writes = split(events).after.filter((c) => c.kind === 'batch');
    expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(2);
  }
  // Every attempt of every isolate is in the key rows' counters, the 429 included.
  const keys = await rows<{ total_requests: number; error_count: number; attempts: number; failed: number }>(
    'SELECT total_requests, error_count, ' +
      '(SELECT count(*) FROM api_key_usage u WHERE u.api_key_id = k.id) AS attempts, ' +
      "(SELECT count(*) FROM api_key_usage u WHERE u.api_key_id = k.id AND outcome != 'ok') AS failed " +
      'FROM api_keys k WHERE api_key IN (?, ?) ORDER BY id',
    GOOD,
    FAULTY,
  );
  expect(keys.map((k) => [k.total_requests, k.error_count])).toEqual(keys.map((k) => [k.attempts, k.failed]));
  expect(keys[1]!.error_count).toBe(1);
});

it('bills a request retried past an invalid key five rows: the disable moves the key row and its updated_at entry', async () => {
  const invalid = geminiKey('retryrows', 3);
  await mock.setKey(invalid, 'invalid');
  const added = await call(worker, adminRequest('POST', '/admin/api/keys', { keys: [{ api_key: invalid }] }));
  expect(added.status).toBe(200);
  const retried = await firstRetried(events, () => call(worker, chat()), 4);
  const writes = retried.after.filter((c) => c.kind === 'batch');
  // Two usage rows; the good key's counters; the invalid key's counters and disable in one UPDATE,
  // plus its updated_at index entry, by which other isolates learn the disable.
  expect(writes[0]!.rowsWritten, JSON.stringify(writes[0])).toBe(5);
  expect((await poolAdmin(worker).keyState(invalid)).state).toBe('disabled');
});
