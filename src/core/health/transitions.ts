/**
 * Outcome + key state → state changes. Pure: the clock is the `now` passed in, and nothing is
 * mutated; the pool applies the changes in memory and the store persists them.
 */
import type { PoolConfig } from '../config.js';
import type { Cooldown, KeyStateChange, PoolKey } from '../types.js';
import type { Outcome } from './classify.js';

export interface TransitionContext {
  config: PoolConfig;
  now: number;
  /** Every key of `key.project` (the key itself may be among them); a rate limit cools them all. */
  projectKeys?: readonly PoolKey[];
}

/**
 * The state changes an outcome causes.
 * - ok: resets `consecutiveErrors` (only if it was above 0).
 * - key-fatal: disables the key for good (`until: null`), recording the reason, and the project an
 *   error body names (`metadata.consumer: projects/N`) when the key has no project label yet.
 * - rate-limited: cools the model (or `*`) until the next Pacific midnight for per-day quotas, else
 *   for `retryDelayMs`, else for `config.defaultCooldownMs`. Quotas are per project, so every key of
 *   the project cools. `consecutiveErrors` is left alone.
 * - key-error: one more consecutive error; at `maxErrorsThreshold` the key is disabled for
 *   `errorResetIntervalMs` with reason `TOO_MANY_ERRORS`. A project named by the body is learnt as above.
 * - upstream-fault, client-fault: nothing.
 */
export function transition(key: PoolKey, outcome: Outcome, ctx: TransitionContext): KeyStateChange[] {
  const { config, now } = ctx;
  switch (outcome.kind) {
    case 'ok':
      return key.consecutiveErrors > 0 ? [{ keyId: key.id, consecutiveErrors: 0 }] : [];
    case 'key-fatal': {
      const change: KeyStateChange = {
        keyId: key.id,
        disabled: { by: 'auto', reason: outcome.reason, until: null },
      };
      if (outcome.project !== undefined && key.project === null) change.project = outcome.project;
      return [change];
    }
    case 'rate-limited': {
      const until =
        outcome.scope === 'per_day'
          ? nextPacificMidnight(now)
          : now + (outcome.retryDelayMs ?? config.defaultCooldownMs);
      const cooldown: Cooldown = { model: outcome.model, until, reason: outcome.scope };
      const ids = new Set([key.id]);
      if (key.project !== null) {
        for (const k of ctx.projectKeys ?? []) if (k.project === key.project) ids.add(k.id);
      }
      return [...ids].map((keyId) => ({ keyId, cooldowns: [{ ...cooldown }] }));
    }
    case 'key-error': {
      const consecutiveErrors = key.consecutiveErrors + 1;
      const change: KeyStateChange = { keyId: key.id, consecutiveErrors };
      if (consecutiveErrors >= config.maxErrorsThreshold) {
        change.disabled = { by: 'auto', reason: 'TOO_MANY_ERRORS', until: now + config.errorResetIntervalMs };
      }
      if (outcome.project !== undefined && key.project === null) change.project = outcome.project;
      return [change];
    }
    case 'upstream-fault':
    case 'client-fault':
      return [];
  }
}

const pacificParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** Pacific wall-clock time at `t`, read as if it were UTC. */
function pacificWallClock(t: number): { wall: number; year: number; month: number; day: number } {
  const p: Record<string, number> = {};
  for (const part of pacificParts.formatToParts(t)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const year = p.year ?? 1970;
  const month = p.month ?? 1;
  const day = p.day ?? 1;
  const wall = Date.UTC(year, month - 1, day, p.hour ?? 0, p.minute ?? 0, p.second ?? 0) + (t % 1000);
  return { wall, year, month, day };
}

/**
 * The next 00:00 in America/Los_Angeles strictly after `now`, DST-correct: the UTC offset is read
 * at the target instant, not at `now`. Gemini's per-day quotas reset then.
 */
export function nextPacificMidnight(now: number): number {
  const today = pacificWallClock(now);
  const midnightAsUtc = Date.UTC(today.year, today.month - 1, today.day + 1);
  // Los Angeles switches DST at 02:00, so local midnight always exists once; two passes settle the offset.
  let t = midnightAsUtc + 8 * 3_600_000;
  for (let i = 0; i < 2; i++) t = midnightAsUtc - (pacificWallClock(t).wall - t);
  return t;
}
