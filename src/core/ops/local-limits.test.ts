import { describe, expect, it } from 'vitest';
import { makeKey } from '../pool/make-key.js';
import { KeyPool } from '../pool/pool.js';
import { nextPacificMidnight } from '../health/transitions.js';
import { LocalLimiter, limitSubject } from './local-limits.js';

/** A minute boundary plus 10 s, so the current minute window ends at T0 + 50 s. */
const T0 = Math.floor(1_800_000_000_000 / 60_000) * 60_000 + 10_000;

function setup(keys = [makeKey(1), makeKey(2)]) {
  const clock = { t: T0, now: () => clock.t };
  const pool = new KeyPool({ clock, random: { next: () => 0.5 } });
  pool.replaceAll(keys);
  return { clock, pool };
}

/** Picks and uses keys for `model` until the pool refuses; returns the ids used. */
function drain(pool: KeyPool, model: string, max = 100): number[] {
  const ids: number[] = [];
  for (let i = 0; i < max; i++) {
    const r = pool.pick(model);
    if (!r.ok) break;
    pool.markUsed(r.key, model);
    ids.push(r.key.id);
  }
  return ids;
}

describe('LocalLimiter in the pool', () => {
  it('is off by default: nothing is counted or blocked', () => {
    const { pool } = setup();
    expect(drain(pool, 'm', 50)).toHaveLength(50);
    expect(pool.limiter.reservation(makeKey(1), 'm', T0)).toBeNull();
  });

  it('a key at its per-minute limit is skipped for that model only, like a cooling key', () => {
    const { clock, pool } = setup();
    pool.setLocalLimits({ perMinute: 2, perDay: 0 });
    expect(drain(pool, 'gemini-2.5-flash').sort()).toEqual([1, 1, 2, 2]);
    expect(pool.pick('models/gemini-2.5-flash')).toEqual({
      ok: false,
      reason: 'cooling',
      retryAfterMs: 50_000,
    });
    expect(drain(pool, 'gemini-2.5-pro')).toHaveLength(4);
    expect(pool.usableCount('gemini-2.5-flash')).toBe(0);
    clock.t = T0 + 50_000;
    expect(drain(pool, 'gemini-2.5-flash')).toHaveLength(4);
  });

  it('keys of one project share one count', () => {
    const { pool } = setup([makeKey(1, { project: 'p' }), makeKey(2, { project: 'p' }), makeKey(3)]);
    pool.setLocalLimits({ perMinute: 3, perDay: 0 });
    const used = drain(pool, 'm');
    expect(used.filter((id) => id !== 3)).toHaveLength(3);
    expect(used.filter((id) => id === 3)).toHaveLength(3);
    expect(limitSubject(makeKey(1, { project: 'p' }))).toBe('p:p');
    expect(limitSubject(makeKey(3))).toBe('k:3');
  });

  it('the per-day limit lasts until midnight Pacific', () => {
    const { clock, pool } = setup([makeKey(1)]);
    pool.setLocalLimits({ perMinute: 0, perDay: 3 });
    expect(drain(pool, 'm')).toHaveLength(3);
    const midnight = nextPacificMidnight(T0);
    expect(pool.pick('m')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: midnight - T0 });
    clock.t = T0 + 3_600_000;
    expect(pool.pick('m').ok).toBe(false);
    clock.t = midnight;
    expect(drain(pool, 'm')).toHaveLength(3);
  });

  it('turning a limit off (or raising it) frees the keys at once', () => {
    const { pool } = setup([makeKey(1)]);
    pool.setLocalLimits({ perMinute: 1, perDay: 0 });
    expect(drain(pool, 'm')).toEqual([1]);
    expect(pool.pick('m').ok).toBe(false);
    pool.setLocalLimits({ perMinute: 2, perDay: 0 });
    expect(drain(pool, 'm')).toEqual([1]);
    pool.setLocalLimits({ perMinute: 0, perDay: 0 });
    expect(drain(pool, 'm', 5)).toHaveLength(5);
  });

  it('requests without a model are neither counted nor limited', () => {
    const { pool } = setup([makeKey(1)]);
    pool.setLocalLimits({ perMinute: 1, perDay: 1 });
    for (let i = 0; i < 3; i++) {
      const r = pool.pick(null);
      expect(r.ok).toBe(true);
      if (r.ok) pool.markUsed(r.key, null);
    }
    expect(pool.limiter.reservation(makeKey(1), null, T0)).toBeNull();
  });
});

describe('LocalLimiter counts for storage', () => {
  const key = makeKey(7);

  it('asks storage to reserve only the windows that have a limit', () => {
    const limiter = new LocalLimiter();
    limiter.setLimits({ perMinute: 10, perDay: 100 });
    const dayEnd = nextPacificMidnight(T0);
    expect(limiter.reservation(key, 'm', T0)).toEqual({
      subject: 'k:7',
      model: 'm',
      minuteEnd: T0 + 50_000,
      dayEnd,
      rpm: 10,
      rpd: 100,
    });
    limiter.setLimits({ perMinute: 0, perDay: 100 });
    expect(limiter.reservation(makeKey(8, { project: 'p' }), 'm', T0)).toMatchObject({
      subject: 'p:p',
      minuteEnd: 0,
      dayEnd,
    });
  });

  it('a refusal from storage blocks the key until its minute ends (its day, with only a day limit)', () => {
    const limiter = new LocalLimiter();
    limiter.setLimits({ perMinute: 10, perDay: 100 });
    limiter.count(key, 'm', T0);
    limiter.markFull(key, 'models/m', T0 + 1);
    expect(limiter.blockedUntil(key, 'm', T0 + 1)).toBe(T0 + 50_000);
    expect(limiter.blockedUntil(key, 'm', T0 + 50_000)).toBe(0);
    limiter.setLimits({ perMinute: 0, perDay: 100 });
    limiter.markFull(key, 'm', T0 + 50_000);
    expect(limiter.blockedUntil(key, 'm', T0 + 50_000)).toBe(nextPacificMidnight(T0 + 50_000));
    // Raising the limit frees it at once: storage is asked again.
    limiter.setLimits({ perMinute: 0, perDay: 101 });
    expect(limiter.blockedUntil(key, 'm', T0 + 50_000)).toBe(0);
  });

  it('a new limiter loaded with the stored counts blocks where the old one stopped', () => {
    const stored = [
      { subject: 'k:7', model: 'm', period: 'minute' as const, windowEnd: T0 + 50_000, count: 2 },
    ];
    const after = new LocalLimiter();
    after.setLimits({ perMinute: 2, perDay: 0 });
    after.load(stored, T0 + 1000);
    expect(after.blockedUntil(key, 'm', T0 + 1000)).toBe(T0 + 50_000);
    // Counts of a window that has ended are ignored.
    const late = new LocalLimiter();
    late.setLimits({ perMinute: 2, perDay: 0 });
    late.load(stored, T0 + 50_000);
    expect(late.blockedUntil(key, 'm', T0 + 50_000)).toBe(0);
  });

  it('prune forgets entries whose windows ended', () => {
    const limiter = new LocalLimiter();
    limiter.setLimits({ perMinute: 1, perDay: 0 });
    limiter.count(key, 'm', T0);
    expect(limiter.blockedUntil(key, 'm', T0)).toBe(T0 + 50_000);
    limiter.prune(T0 + 50_000);
    limiter.count(key, 'm', T0 + 50_000);
    expect(limiter.blockedUntil(key, 'm', T0 + 50_000)).toBe(T0 + 110_000);
  });
});
