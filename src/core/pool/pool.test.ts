import { describe, expect, it } from 'vitest';
import type { StrategyName } from '../config.js';
import type { PoolKey } from '../types.js';
import { makeKey } from './make-key.js';
import { KeyPool } from './pool.js';

const T0 = 1_800_000_000_000;

function setup(n: number, strategy: StrategyName = 'round_robin') {
  const clock = { t: T0, now: () => clock.t };
  const pool = new KeyPool({ clock, random: { next: () => 0.5 }, strategy });
  pool.replaceAll(Array.from({ length: n }, (_, i) => makeKey(n - i)));
  return { clock, pool };
}

const cool = (model: string, until: number) => [{ model, until, reason: 'per_minute' }];

function pickIds(pool: KeyPool, model: string | null, times: number): number[] {
  return Array.from({ length: times }, () => {
    const r = pool.pick(model);
    if (!r.ok) throw new Error(r.reason);
    pool.markUsed(r.key);
    return r.key.id;
  });
}

describe('KeyPool', () => {
  it('lists keys ordered by id and finds them', () => {
    const { pool } = setup(3);
    expect(pool.list().map((k) => k.id)).toEqual([1, 2, 3]);
    expect(pool.size).toBe(3);
    expect(pool.get(2)?.id).toBe(2);
    expect(pool.get(9)).toBeUndefined();
  });

  it('hasUsable answers per model without moving the round-robin cursor', () => {
    const { pool } = setup(3);
    expect(pickIds(pool, 'm', 1)).toEqual([1]);
    for (let i = 0; i < 5; i++) expect(pool.hasUsable('m')).toBe(true);
    expect(pickIds(pool, 'm', 2)).toEqual([2, 3]);
    for (const id of [1, 2, 3]) pool.apply({ keyId: id, cooldowns: cool('m', T0 + 1000) });
    expect(pool.hasUsable('models/m')).toBe(false);
    expect(pool.hasUsable('other')).toBe(true);
  });

  it('a cooldown for model A still serves model B, and models/ prefixes match', () => {
    const { pool } = setup(2);
    pool.apply({ keyId: 1, cooldowns: cool('gemini-2.5-flash', T0 + 60_000) });
    expect(new Set(pickIds(pool, 'models/gemini-2.5-flash', 4))).toEqual(new Set([2]));
    expect(new Set(pickIds(pool, 'gemini-2.5-pro', 4))).toEqual(new Set([1, 2]));
  });

  it("a '*' cooldown blocks every model, and requests without a model", () => {
    const { pool } = setup(2);
    pool.apply({ keyId: 2, cooldowns: cool('*', T0 + 60_000) });
    expect(new Set(pickIds(pool, 'gemini-2.5-pro', 4))).toEqual(new Set([1]));
    expect(new Set(pickIds(pool, null, 4))).toEqual(new Set([1]));
  });

  it('retryAfterMs is the time until the soonest cooling key is ready', () => {
    const { clock, pool } = setup(3);
    pool.apply({ keyId: 1, cooldowns: cool('m', T0 + 30_000) });
    // Key 2 cools for m and for '*': it is ready only when both end.
    pool.apply({ keyId: 2, cooldowns: [...cool('m', T0 + 10_000), ...cool('*', T0 + 50_000)] });
    pool.apply({ keyId: 3, disabled: { by: 'manual', reason: 'manual', until: null } });
    expect(pool.pick('m')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 30_000 });
    clock.t += 5_000;
    expect(pool.pick('m')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 25_000 });
    clock.t = T0 + 30_000;
    expect(pool.pick('m')).toMatchObject({ ok: true, key: { id: 1 } });
  });

  it('unavailable when every key is disabled or excluded', () => {
    const { pool } = setup(2);
    pool.apply({ keyId: 1, disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } });
    expect(pool.pick('m', new Set([2]))).toEqual({ ok: false, reason: 'unavailable' });
    pool.apply({ keyId: 2, disabled: { by: 'manual', reason: 'manual', until: null } });
    expect(pool.pick('m')).toEqual({ ok: false, reason: 'unavailable' });
    expect(new KeyPool({ clock: { now: () => 0 }, random: { next: () => 0 } }).pick('m')).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });

  it('exclude skips keys already tried', () => {
    const { pool } = setup(3);
    const r = pool.pick('m', new Set([1, 2]));
    expect(r).toMatchObject({ ok: true, key: { id: 3 } });
  });

  it('an expired temporary disable becomes usable', () => {
    const { clock, pool } = setup(1);
    pool.apply({ keyId: 1, disabled: { by: 'auto', reason: 'TOO_MANY_ERRORS', until: T0 + 1_000 } });
    expect(pool.pick('m')).toEqual({ ok: false, reason: 'unavailable' });
    expect(pool.stateOf(pool.get(1) as PoolKey, clock.t).state).toBe('disabled');
    clock.t += 1_000;
    expect(pool.pick('m')).toMatchObject({ ok: true, key: { id: 1 } });
    expect(pool.stateOf(pool.get(1) as PoolKey, clock.t)).toEqual({ state: 'active' });
  });

  it('enabling again (disabled: null) makes a remembered miss stale', () => {
    const { pool } = setup(1);
    pool.apply({ keyId: 1, disabled: { by: 'manual', reason: 'manual', until: null } });
    expect(pool.pick('m')).toEqual({ ok: false, reason: 'unavailable' });
    pool.apply({ keyId: 1, disabled: null });
    expect(pool.pick('m')).toMatchObject({ ok: true, key: { id: 1 } });
  });

  it('apply extends cooldowns per model, keeping the later until, and prunes ended ones', () => {
    const { clock, pool } = setup(1);
    pool.apply({ keyId: 1, cooldowns: [...cool('a', T0 + 5_000), ...cool('b', T0 + 1_000)] });
    pool.apply({ keyId: 1, cooldowns: cool('models/a', T0 + 3_000) });
    clock.t += 2_000;
    pool.apply({ keyId: 1, cooldowns: cool('c', T0 + 9_000) });
    const key = pool.get(1) as PoolKey;
    expect(key.cooldowns.map((c) => [c.model, c.until])).toEqual([
      ['a', T0 + 5_000],
      ['c', T0 + 9_000],
    ]);
    expect(pool.stateOf(key, clock.t)).toMatchObject({ state: 'cooling' });
    expect(pool.usableCount('a')).toBe(0);
    expect(pool.usableCount('b')).toBe(1);
  });

  it('apply sets consecutive errors and project, and keeps the project index current', () => {
    const { pool } = setup(3);
    pool.apply({ keyId: 1, project: 'p', consecutiveErrors: 2 });
    pool.apply({ keyId: 3, project: 'p' });
    expect(pool.get(1)?.consecutiveErrors).toBe(2);
    expect(
      pool
        .keysInProject('p')
        .map((k) => k.id)
        .sort(),
    ).toEqual([1, 3]);
    pool.apply({ keyId: 3, project: 'q' });
    expect(pool.keysInProject('p').map((k) => k.id)).toEqual([1]);
    pool.remove([1]);
    expect(pool.keysInProject('p')).toEqual([]);
  });

  it('upsert counts the requests still in flight on top of the loaded ones, updates in place, and inserts in id order', () => {
    const { pool } = setup(2);
    const live = pool.get(1) as PoolKey;
    pickIds(pool, 'm', 4);
    pool.apply({ keyId: 1, cooldowns: cool('m', T0 + 9_000) });
    const stored = (totalRequests: number) =>
      makeKey(1, {
        totalRequests,
        errorCount: 7,
        email: 'a@b.c',
        tokens: { prompt: 5, completion: 0, total: 5 },
      });
    pool.upsert([stored(1), makeKey(0)]);
    expect(pool.get(1)).toBe(live);
    // Two picks of key 1 are still in flight: not in the store, not yet in any write buffer.
    expect(live).toMatchObject({
      totalRequests: 3,
      errorCount: 7,
      email: 'a@b.c',
      tokens: { prompt: 5, total: 5 },
    });
    expect(live.cooldowns).toHaveLength(1);
    expect(pool.list().map((k) => k.id)).toEqual([0, 1, 2]);

    // One is reported (its request now counted by the buffer, then the store): no double count.
    pool.settled(1);
    pool.upsert([stored(2)]);
    expect(live.totalRequests).toBe(3);
  });

  it('upsert with the pending counts takes the loaded counters plus them, so a reset made elsewhere shows', () => {
    const { pool } = setup(2);
    const live = pool.get(1) as PoolKey;
    Object.assign(live, {
      totalRequests: 40,
      errorCount: 9,
      tokens: { prompt: 30, completion: 10, total: 40 },
    });
    const pending = new Map([
      [
        1,
        {
          keyId: 1,
          requests: 2,
          errors: 1,
          tokens: { prompt: 3, completion: 1, total: 4 },
          lastUsedAt: T0,
        },
      ],
    ]);
    pool.upsert([makeKey(1, { totalRequests: 12, errorCount: 0 }), makeKey(2, { errorCount: 5 })], pending);
    expect(live).toMatchObject({
      totalRequests: 14,
      errorCount: 1,
      tokens: { prompt: 3, completion: 1, total: 4 },
    });
    expect(pool.get(2)).toMatchObject({ errorCount: 5 });
  });

  it('remove drops keys from selection', () => {
    const { pool } = setup(3);
    pool.remove([2, 99]);
    expect(new Set(pickIds(pool, 'm', 6))).toEqual(new Set([1, 3]));
    expect(pool.size).toBe(2);
  });

  it('markUsed counts requests and the time', () => {
    const { clock, pool } = setup(1);
    pickIds(pool, 'm', 3);
    expect(pool.get(1)).toMatchObject({ totalRequests: 3, lastUsedAt: clock.t });
  });

  it('switches strategy without a restart', () => {
    const { pool } = setup(3);
    pool.apply({ keyId: 1, disabled: null });
    pickIds(pool, 'm', 2); // keys 1 and 2 used once
    pool.setStrategy('least_used');
    expect(pickIds(pool, 'm', 1)).toEqual([3]);
    pool.setStrategy('least_used');
    expect(pickIds(pool, 'm', 3)).toEqual([1, 2, 3]);
  });

  it('round robin over a large pool with most of a project cooling stays fair', () => {
    const { pool } = setup(1000);
    for (let id = 1; id <= 900; id++) pool.apply({ keyId: id, cooldowns: cool('m', T0 + 60_000) });
    const ids = pickIds(pool, 'm', 1000);
    expect(Math.min(...ids)).toBe(901);
    expect(new Set(ids).size).toBe(100);
  });
});
