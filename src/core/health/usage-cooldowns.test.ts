import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { KeyPool } from '../pool/pool.js';
import { makeKey } from '../pool/make-key.js';
import type { RateLimitedAttempt, UsageStore } from '../ports.js';
import { nextPacificMidnight } from './transitions.js';
import {
  HOLD_GRACE_MS,
  UNSTORED_COOLDOWN_MS,
  UsageRateLimits,
  cooldownsFromUsage,
  cooldownsToStore,
  heldCountersRelease,
  parseRateLimitNote,
  rateLimitNote,
} from './usage-cooldowns.js';

const config = { ...parseConfig({}), defaultCooldownMs: 60_000 };
const T = Date.UTC(2026, 5, 15, 12, 0, 0);

function poolAt(now: number): KeyPool {
  const pool = new KeyPool({ clock: { now: () => now }, random: { next: () => 0 } });
  pool.replaceAll([makeKey(1, { project: 'p' }), makeKey(2, { project: 'p' }), makeKey(3)]);
  return pool;
}

const attempt = (keyId: number, error: string, timestamp = T): RateLimitedAttempt => ({
  keyId,
  error,
  timestamp,
});

describe('rate-limit notes', () => {
  it('round-trips every scope, with and without a retry delay, through the usage row error text', () => {
    const outcomes = [
      {
        kind: 'rate-limited' as const,
        scope: 'per_minute' as const,
        model: 'gemini-2.5-flash',
        retryDelayMs: 58_000,
      },
      { kind: 'rate-limited' as const, scope: 'per_day' as const, model: '*' },
      { kind: 'rate-limited' as const, scope: 'default' as const, model: 'gemini-2.5-pro' },
    ];
    for (const outcome of outcomes) {
      // As `describe` writes it, Google's status after the note.
      expect(parseRateLimitNote(`rate-limited: ${rateLimitNote(outcome)}: RESOURCE_EXHAUSTED`)).toEqual(
        outcome,
      );
      expect(parseRateLimitNote(`rate-limited: ${rateLimitNote(outcome)}`)).toEqual(outcome);
    }
    expect(rateLimitNote(outcomes[0]!)).toBe('per_minute gemini-2.5-flash retry 58000ms');
  });

  it('reads nothing from other errors', () => {
    expect(parseRateLimitNote(null)).toBeNull();
    expect(parseRateLimitNote('key-error: PERMISSION_DENIED')).toBeNull();
    expect(parseRateLimitNote('rate-limited: per_hour m')).toBeNull();
  });
});

describe('cooldownsFromUsage', () => {
  it('cools the key and every key of its project until the instant the 429 set, as transition does', () => {
    const pool = poolAt(T + 1_000);
    const changes = cooldownsFromUsage(
      [attempt(1, 'rate-limited: per_minute gemini-2.5-flash retry 30000ms: RESOURCE_EXHAUSTED')],
      { pool, config, now: T + 1_000 },
    );
    const cooldown = { model: 'gemini-2.5-flash', until: T + 30_000, reason: 'per_minute' };
    expect(changes).toEqual([
      { keyId: 1, cooldowns: [cooldown] },
      { keyId: 2, cooldowns: [cooldown] },
    ]);
  });

  it('uses the default cooldown without a retry delay, and the next Pacific midnight for a day quota', () => {
    const pool = poolAt(T);
    const changes = cooldownsFromUsage(
      [attempt(3, 'rate-limited: default m'), attempt(3, 'rate-limited: per_day n')],
      { pool, config, now: T },
    );
    expect(changes).toEqual([
      { keyId: 3, cooldowns: [{ model: 'm', until: T + 60_000, reason: 'default' }] },
      { keyId: 3, cooldowns: [{ model: 'n', until: nextPacificMidnight(T), reason: 'per_day' }] },
    ]);
  });

  it('skips cooldowns already over, unknown keys and rows without a note', () => {
    const pool = poolAt(T + 60_000);
    const changes = cooldownsFromUsage(
      [
        attempt(3, 'rate-limited: per_minute m retry 60000ms'),
        attempt(99, 'rate-limited: per_minute m retry 90000ms'),
        { keyId: null, error: 'rate-limited: per_minute m', timestamp: T },
        attempt(3, 'rate-limited'),
      ],
      { pool, config, now: T + 60_000 },
    );
    expect(changes).toEqual([]);
  });
});

describe('what a 429 stores', () => {
  it('stores only cooldowns longer than UNSTORED_COOLDOWN_MS, marked as read from the usage row', () => {
    const short = { model: 'm', until: T + UNSTORED_COOLDOWN_MS, reason: 'per_minute' };
    const long = { model: 'n', until: T + UNSTORED_COOLDOWN_MS + 1, reason: 'per_day' };
    expect(
      cooldownsToStore(
        [
          { keyId: 1, cooldowns: [short, long] },
          { keyId: 2, cooldowns: [short] },
        ],
        T,
      ),
    ).toEqual([{ keyId: 1, cooldowns: [long], inUsageRow: true }]);
  });

  it('holds the counters until the cooldown ends, at most UNSTORED_COOLDOWN_MS, plus a grace', () => {
    const cooling = (until: number) =>
      makeKey(1, { cooldowns: [{ model: 'm', until, reason: 'per_minute' }] });
    expect(heldCountersRelease(cooling(T + 30_000), T)).toBe(T + 30_000 + HOLD_GRACE_MS);
    expect(heldCountersRelease(cooling(T + 86_400_000), T)).toBe(T + UNSTORED_COOLDOWN_MS + HOLD_GRACE_MS);
  });
});

describe('UsageRateLimits', () => {
  it('reads back UNSTORED_COOLDOWN_MS at first, then only rows after the newest id it saw', async () => {
    const calls: unknown[] = [];
    const usage = {
      rateLimitedSince: async (from: unknown) => {
        calls.push(from);
        return { lastId: 7, attempts: [attempt(3, 'rate-limited: per_minute m retry 30000ms')] };
      },
    } as unknown as UsageStore;
    const reader = new UsageRateLimits(usage);
    const pool = poolAt(T);
    await reader.catchUp({ pool, config, now: T });
    await reader.catchUp({ pool, config, now: T });
    expect(calls).toEqual([{ sinceTime: T - UNSTORED_COOLDOWN_MS }, { afterId: 7 }]);
    expect(pool.get(3)?.cooldowns).toEqual([{ model: 'm', until: T + 30_000, reason: 'per_minute' }]);
  });
});
