/** `POST /admin/api/keys/validate` against the mock upstream, on the real Node gateway. */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat, keysByMask } from './helpers.js';

const REVIVED = fakeKey('val-revived');
const DEAD = fakeKey('val-dead');
const MANUAL = fakeKey('val-manual');
const GOOD = fakeKey('val-good');
const SUSPENDED = fakeKey('val-suspended');
const ALL = [REVIVED, DEAD, MANUAL, GOOD, SUSPENDED];

let mock: MockGemini;
let gw: TestGateway;
let ids: Record<string, number>;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: ALL });
  const keys = await keysByMask(gw);
  ids = Object.fromEntries(ALL.map((k) => [k, keys.get(maskKey(k)).id as number]));
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

/** Upstream requests per key during `work`. */
async function upstreamCalls(work: () => Promise<void>): Promise<Record<string, number>> {
  const before = mock.stats().byKey;
  const paths = mock.stats().byPath['/v1beta/models'] ?? 0;
  await work();
  const after = mock.stats();
  expect(after.lastHeaders['x-goog-api-key']).toMatch(/^AIza…/);
  const counts = Object.fromEntries(
    ALL.map((k) => [k, (after.byKey[maskKey(k)] ?? 0) - (before[maskKey(k)] ?? 0)]),
  );
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  expect((after.byPath['/v1beta/models'] ?? 0) - paths).toBe(total);
  return counts;
}

describe('key validation', () => {
  it('revives an auto-disabled key that passes, keeps a dead one disabled, never sends a hand-disabled key', async () => {
    // Traffic disables REVIVED and DEAD; an admin disables MANUAL by hand.
    mock.setKey(REVIVED, 'invalid');
    mock.setKey(DEAD, 'invalid');
    for (let i = 0; i < 4; i++) expect((await chat(gw)).status).toBe(200);
    expect((await gw.admin('PATCH', `/keys/${ids[MANUAL]}`, { is_active: false })).status).toBe(200);
    let keys = await keysByMask(gw);
    expect(keys.get(maskKey(REVIVED)).disabled).toEqual({
      by: 'auto',
      reason: 'API_KEY_INVALID',
      until: null,
    });
    expect(keys.get(maskKey(DEAD)).disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });

    // Google takes REVIVED back, suspends SUSPENDED; MANUAL would be fine upstream, but stays off.
    mock.setKey(REVIVED, 'ok');
    mock.setKey(SUSPENDED, 'suspended');
    let res: { status: number; body: any } = { status: 0, body: null };
    const calls = await upstreamCalls(async () => {
      res = await gw.admin('POST', '/keys/validate', {});
    });
    expect(res.status).toBe(200);
    expect(calls).toEqual({ [REVIVED]: 1, [DEAD]: 1, [MANUAL]: 0, [GOOD]: 1, [SUSPENDED]: 1 });

    const byId = new Map((res.body.results as any[]).map((r) => [r.id, r]));
    expect(byId.get(ids[REVIVED])).toMatchObject({
      result: 'valid',
      status: 200,
      action: 'enabled',
      state: 'active',
    });
    expect(byId.get(ids[DEAD])).toMatchObject({
      result: 'invalid',
      status: 400,
      reason: 'API_KEY_INVALID',
      action: 'none',
      state: 'disabled',
    });
    expect(byId.get(ids[MANUAL])).toMatchObject({
      result: 'skipped',
      status: null,
      reason: 'manual',
      action: 'none',
      state: 'disabled',
    });
    expect(byId.get(ids[GOOD])).toMatchObject({ result: 'valid', action: 'none', state: 'active' });
    expect(byId.get(ids[SUSPENDED])).toMatchObject({
      result: 'invalid',
      status: 403,
      reason: 'CONSUMER_SUSPENDED',
      action: 'disabled',
      state: 'disabled',
    });
    expect(res.body.summary).toEqual({
      checked: 4,
      valid: 2,
      invalid: 2,
      rate_limited: 0,
      error: 0,
      unreachable: 0,
      skipped: 1,
      enabled: 1,
      disabled: 1,
    });
    expect((res.body.results as any[]).map((r) => r.key)).toEqual(ALL.map(maskKey));
    const text = JSON.stringify(res.body);
    for (const key of ALL) expect(text).not.toContain(key);

    keys = await keysByMask(gw);
    expect(keys.get(maskKey(REVIVED))).toMatchObject({ state: 'active', disabled: null, is_active: true });
    expect(keys.get(maskKey(MANUAL)).disabled).toEqual({ by: 'manual', reason: 'manual', until: null });
    // The 403 named the key's project: it is recorded, since the key had none.
    expect(keys.get(maskKey(SUSPENDED)).project).toMatch(/^\d{12}$/);

    // The changes are in the database, not only in memory.
    await gw.running.gateway.flush();
    const db = new Database(gw.databasePath, { readonly: true });
    const rows = db
      .prepare('SELECT id, is_active, disabled_by, disabled_reason FROM api_keys ORDER BY id')
      .all();
    db.close();
    expect(rows).toEqual([
      { id: ids[REVIVED], is_active: 1, disabled_by: null, disabled_reason: null },
      { id: ids[DEAD], is_active: 0, disabled_by: 'auto', disabled_reason: 'API_KEY_INVALID' },
      { id: ids[MANUAL], is_active: 0, disabled_by: 'manual', disabled_reason: 'manual' },
      { id: ids[GOOD], is_active: 1, disabled_by: null, disabled_reason: null },
      { id: ids[SUSPENDED], is_active: 0, disabled_by: 'auto', disabled_reason: 'CONSUMER_SUSPENDED' },
    ]);

    // The revived key serves traffic again.
    const before = mock.stats().byKey[maskKey(REVIVED)] ?? 0;
    for (let i = 0; i < 4; i++) expect((await chat(gw)).status).toBe(200);
    expect((mock.stats().byKey[maskKey(REVIVED)] ?? 0) - before).toBe(2);
  });

  it('checks only the ids given and names the unknown ones', async () => {
    let res: { status: number; body: any } = { status: 0, body: null };
    const calls = await upstreamCalls(async () => {
      res = await gw.admin('POST', '/keys/validate', { ids: [ids[GOOD], 9999], concurrency: 2 });
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      {
        id: ids[GOOD],
        key: maskKey(GOOD),
        result: 'valid',
        status: 200,
        reason: null,
        action: 'none',
        state: 'active',
      },
    ]);
    expect(res.body.not_found).toEqual([9999]);
    expect(calls[GOOD]).toBe(1);
    expect(Object.values(calls).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('refuses bad input with a 400 and needs the admin token', async () => {
    for (const body of [
      { ids: [] },
      { ids: 'all' },
      { ids: [0] },
      { ids: [1.5] },
      { concurrency: 0 },
      { every: true },
    ]) {
      const res = await gw.admin('POST', '/keys/validate', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toBeTruthy();
    }
    const anonymous = await fetch(`${gw.url}/admin/api/keys/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
  });
});
