/**
 * Cooldowns carried by usage rows. A rate-limited attempt's usage row names the quota that ran out
 * and Google's retry delay (in its `error` text, written with `rateLimitNote`), so a process that
 * reads the usage rows added since its last refresh (a rowid range) can cool the same keys, until
 * the same instant, as the process that saw the 429. On D1 this spares each 429 the rows a key
 * update and a cooldown row would cost (see `RateLimitWrites`).
 */
import type { PoolConfig } from '../config.js';
import type { KeyPool } from '../pool/pool.js';
import type { RateLimitedAttempt, UsageStore } from '../ports.js';
import type { KeyStateChange, PoolKey } from '../types.js';
import type { Outcome } from './classify.js';
import { transition } from './transitions.js';

type RateLimited = Extract<Outcome, { kind: 'rate-limited' }>;

/** `per_minute gemini-2.5-flash retry 58000ms`: the part of a usage row's error a rate limit writes. */
export function rateLimitNote(outcome: RateLimited): string {
  const delay = outcome.retryDelayMs === undefined ? '' : ` retry ${outcome.retryDelayMs}ms`;
  return `${outcome.scope} ${outcome.model}${delay}`;
}

const NOTE = /^rate-limited: (per_minute|per_day|default) (\S+?)(?: retry (\d+)ms)?(?::|$)/;

/** The outcome a usage row's error text describes, or null when it is not a rate limit's. */
export function parseRateLimitNote(error: string | null): RateLimited | null {
  const m = error === null ? null : NOTE.exec(error);
  if (!m) return null;
  const outcome: RateLimited = {
    kind: 'rate-limited',
    scope: m[1] as RateLimited['scope'],
    model: m[2] as string,
  };
  if (m[3] !== undefined) outcome.retryDelayMs = Number(m[3]);
  return outcome;
}

/**
 * The cooldowns still running at `now` that `attempts` caused: the same changes `transition` made
 * where each 429 arrived (every key of the key's project cools), computed at the attempt's time.
 */
export function cooldownsFromUsage(
  attempts: readonly RateLimitedAttempt[],
  ctx: { pool: KeyPool; config: PoolConfig; now: number },
): KeyStateChange[] {
  const changes: KeyStateChange[] = [];
  for (const attempt of attempts) {
    const outcome = parseRateLimitNote(attempt.error);
    const key = attempt.keyId === null ? undefined : ctx.pool.get(attempt.keyId);
    if (!outcome || !key) continue;
    const projectKeys = key.project ? ctx.pool.keysInProject(key.project) : undefined;
    for (const change of transition(key, outcome, {
      config: ctx.config,
      now: attempt.timestamp,
      projectKeys,
    })) {
      const cooldowns = (change.cooldowns ?? []).filter((c) => c.until > ctx.now);
      if (cooldowns.length > 0) changes.push({ keyId: change.keyId, cooldowns });
    }
  }
  return changes;
}

/** A cooldown ending within this long of its 429 is never stored: other processes read it from the usage row. */
export const UNSTORED_COOLDOWN_MS = 2 * 60_000;
/** A rate-limited key's held counters wait this long past its cooldown for the key's next write. */
export const HOLD_GRACE_MS = 30_000;

/**
 * What of a 429's changes must be stored when its usage row is written too: the cooldowns that
 * outlast `UNSTORED_COOLDOWN_MS` (a process started later reads those from `key_cooldowns`),
 * marked so that storing them does not move the keys' `updated_at`.
 */
export function cooldownsToStore(changes: readonly KeyStateChange[], now: number): KeyStateChange[] {
  return changes.flatMap((change) => {
    const cooldowns = (change.cooldowns ?? []).filter((c) => c.until - now > UNSTORED_COOLDOWN_MS);
    return cooldowns.length > 0 ? [{ keyId: change.keyId, cooldowns, inUsageRow: true }] : [];
  });
}

/** When the counters of `key`, rate-limited at `now` (its cooldown already applied), are written at the latest. */
export function heldCountersRelease(key: PoolKey, now: number): number {
  const until = key.cooldowns.reduce((end, c) => Math.max(end, c.until), now);
  return Math.min(until, now + UNSTORED_COOLDOWN_MS) + HOLD_GRACE_MS;
}

/** Reads the rate limits recorded in usage rows since the last read, and cools the keys they name. */
export class UsageRateLimits {
  /** The newest usage id read; null before the first read. */
  #lastId: number | null = null;

  constructor(private readonly usage: UsageStore) {}

  /**
   * Cools the keys that attempts recorded since the last call cooled wherever they ran. The first
   * call reads back `UNSTORED_COOLDOWN_MS`: cooldowns that short are in no other table.
   */
  async catchUp(ctx: { pool: KeyPool; config: PoolConfig; now: number }): Promise<void> {
    const from =
      this.#lastId === null ? { sinceTime: ctx.now - UNSTORED_COOLDOWN_MS } : { afterId: this.#lastId };
    const { lastId, attempts } = await this.usage.rateLimitedSince(from);
    for (const change of cooldownsFromUsage(attempts, ctx)) ctx.pool.apply(change);
    this.#lastId = lastId;
  }
}
