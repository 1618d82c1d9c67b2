import { describe, expect, it } from 'vitest';
import type { Random } from '../../ports.js';
import type { PoolKey } from '../../types.js';
import { makeKey } from '../make-key.js';
import { createStrategy } from './index.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => makeKey(i + 1));

/** A deterministic PRNG (mulberry32). */
function seeded(seed: number): Random {
  let a = seed;
  return {
    next() {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

const sequence = (values: number[]): Random => {
  let i = 0;
  return { next: () => values[i++ % values.length] as number };
};

function counts(picks: Array<PoolKey | undefined>): Map<number, number> {
  const m = new Map<number, number>();
  for (const k of picks) if (k) m.set(k.id, (m.get(k.id) ?? 0) + 1);
  return m;
}

describe('round_robin', () => {
  it('gives every usable key an equal share (±1) and skips unusable ones', () => {
    const s = createStrategy('round_robin', seeded(1));
    s.reset(keys(10));
    const unusable = new Set([3, 4, 9]);
    const picks = Array.from({ length: 1003 }, () => s.pick((k) => !unusable.has(k.id)));
    const c = counts(picks);
    expect([...c.keys()].sort((a, b) => a - b)).toEqual([1, 2, 5, 6, 7, 8, 10]);
    const shares = [...c.values()];
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    expect(shares.reduce((a, b) => a + b)).toBe(1003);
  });

  it('cycles in id order and resumes after the last pick across a reset', () => {
    const s = createStrategy('round_robin', seeded(1));
    const ks = keys(5);
    s.reset(ks);
    expect([1, 2, 3].map(() => s.pick(() => true)?.id)).toEqual([1, 2, 3]);
    s.reset([...ks, makeKey(6)]);
    expect([1, 2, 3, 4].map(() => s.pick(() => true)?.id)).toEqual([4, 5, 6, 1]);
  });

  it('returns undefined when nothing is usable or the pool is empty', () => {
    const s = createStrategy('round_robin', seeded(1));
    expect(s.pick(() => true)).toBeUndefined();
    s.reset(keys(3));
    expect(s.pick(() => false)).toBeUndefined();
  });
});

describe('least_used', () => {
  it('picks the key with the fewest requests, ties by lowest id', () => {
    const ks = keys(5);
    for (const [i, n] of [5, 3, 3, 9, 4].entries()) (ks[i] as PoolKey).totalRequests = n;
    const s = createStrategy('least_used', seeded(1));
    s.reset(ks);
    expect(s.pick(() => true)?.id).toBe(2);
    expect(s.pick((k) => k.id !== 2)?.id).toBe(3);
    expect(s.pick((k) => k.id !== 2 && k.id !== 3)?.id).toBe(5);
    expect(s.pick(() => false)).toBeUndefined();
  });

  it('rebalances as keys are used', () => {
    const ks = keys(4);
    (ks[0] as PoolKey).totalRequests = 10;
    const s = createStrategy('least_used', seeded(1));
    s.reset(ks);
    for (let i = 0; i < 32; i++) {
      const k = s.pick(() => true) as PoolKey;
      k.totalRequests++;
      s.used(k);
    }
    // Keys 2–4 catch up with key 1 (30 picks), then ties go to the lowest ids.
    expect(ks.map((k) => k.totalRequests)).toEqual([11, 11, 10, 10]);
  });

  it('walks past unusable top keys and ranks them after the key picked instead', () => {
    const ks = keys(200);
    for (const k of ks) k.totalRequests = 1000 - k.id;
    const s = createStrategy('least_used', seeded(1));
    s.reset(ks);
    let calls = 0;
    const usable = (k: PoolKey) => (calls++, k.id <= 100);
    expect(s.pick(usable)?.id).toBe(100);
    expect(calls).toBe(101);
    // Keys 101–200 (800–899 requests) now count as 901, so key 100 (900) stays first.
    expect(s.pick(() => true)?.id).toBe(100);
    calls = 0;
    expect(s.pick(usable)?.id).toBe(100);
    expect(calls).toBe(1);
  });

  it('a key back from a cooldown shares traffic instead of getting a catch-up burst', () => {
    const ks = keys(4);
    const s = createStrategy('least_used', seeded(1));
    s.reset(ks);
    const use = (usable: (k: PoolKey) => boolean) => {
      const k = s.pick(usable) as PoolKey;
      k.totalRequests++;
      s.used(k);
      return k.id;
    };
    for (let i = 0; i < 30; i++) use((k) => k.id !== 1);
    const after = Array.from({ length: 8 }, () => use(() => true));
    expect(after.filter((id) => id === 1).length).toBeLessThanOrEqual(3);
    expect(new Set(after)).toEqual(new Set([1, 2, 3, 4]));
  });
});

describe('random', () => {
  it('is deterministic with a fixed sequence', () => {
    const s = createStrategy('random', sequence([0.0, 0.5, 0.99]));
    s.reset(keys(10));
    expect([1, 2, 3, 4].map(() => s.pick(() => true)?.id)).toEqual([1, 6, 10, 1]);
  });

  it('falls back to a scan from a random offset when probes miss', () => {
    const s = createStrategy('random', sequence([0.0]));
    s.reset(keys(10));
    expect(s.pick((k) => k.id === 7)?.id).toBe(7);
    expect(s.pick(() => false)).toBeUndefined();
  });

  it('is uniform-ish over usable keys with a seeded Random', () => {
    const s = createStrategy('random', seeded(42));
    s.reset(keys(10));
    const c = counts(Array.from({ length: 20_000 }, () => s.pick((k) => k.id !== 5)));
    expect(c.has(5)).toBe(false);
    expect(c.size).toBe(9);
    for (const n of c.values()) expect(Math.abs(n - 20_000 / 9)).toBeLessThan(250);
  });
});
