import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { makeKey } from '../pool/make-key.js';
import { nextPacificMidnight, transition } from './transitions.js';

const config = {
  ...parseConfig({}),
  maxErrorsThreshold: 3,
  errorResetIntervalMs: 3_600_000,
  defaultCooldownMs: 60_000,
};
const now = Date.UTC(2026, 5, 15, 12, 0, 0);
const ctx = { config, now };

describe('transition', () => {
  it('ok resets consecutive errors only when above 0', () => {
    expect(transition(makeKey(1), { kind: 'ok' }, ctx)).toEqual([]);
    expect(transition(makeKey(1, { consecutiveErrors: 2 }), { kind: 'ok' }, ctx)).toEqual([
      { keyId: 1, consecutiveErrors: 0 },
    ]);
  });

  it('key-fatal disables for good and records a learnt project', () => {
    expect(
      transition(makeKey(1), { kind: 'key-fatal', reason: 'CONSUMER_SUSPENDED', project: '42' }, ctx),
    ).toEqual([
      { keyId: 1, disabled: { by: 'auto', reason: 'CONSUMER_SUSPENDED', until: null }, project: '42' },
    ]);
    expect(
      transition(
        makeKey(1, { project: '42' }),
        { kind: 'key-fatal', reason: 'API_KEY_INVALID', project: '42' },
        ctx,
      ),
    ).toEqual([{ keyId: 1, disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } }]);
  });

  it('a learnt project never replaces a label the key already has', () => {
    const labelled = makeKey(1, { project: 'team-a' });
    expect(
      transition(labelled, { kind: 'key-fatal', reason: 'CONSUMER_SUSPENDED', project: '42' }, ctx),
    ).toEqual([{ keyId: 1, disabled: { by: 'auto', reason: 'CONSUMER_SUSPENDED', until: null } }]);
    expect(
      transition(
        labelled,
        { kind: 'key-error', status: 403, reason: 'PERMISSION_DENIED', project: '42' },
        ctx,
      ),
    ).toEqual([{ keyId: 1, consecutiveErrors: 1 }]);
    expect(
      transition(
        makeKey(2),
        { kind: 'key-error', status: 403, reason: 'PERMISSION_DENIED', project: '42' },
        ctx,
      ),
    ).toEqual([{ keyId: 2, consecutiveErrors: 1, project: '42' }]);
  });

  it('per-minute 429 cools the model for the retry delay, without touching errors', () => {
    const key = makeKey(1, { consecutiveErrors: 2 });
    expect(
      transition(
        key,
        { kind: 'rate-limited', model: 'gemini-2.5-flash', scope: 'per_minute', retryDelayMs: 58_000 },
        ctx,
      ),
    ).toEqual([
      { keyId: 1, cooldowns: [{ model: 'gemini-2.5-flash', until: now + 58_000, reason: 'per_minute' }] },
    ]);
  });

  it('per-day 429 cools until the next Pacific midnight, even with a retry delay', () => {
    const [change] = transition(
      makeKey(1),
      { kind: 'rate-limited', model: 'm', scope: 'per_day', retryDelayMs: 58_000 },
      ctx,
    );
    // 2026-06-15 is PDT (UTC-7): midnight of the 16th is 07:00 UTC.
    expect(change?.cooldowns).toEqual([{ model: 'm', until: Date.UTC(2026, 5, 16, 7), reason: 'per_day' }]);
  });

  it('a 429 with no details uses the default cooldown', () => {
    expect(transition(makeKey(1), { kind: 'rate-limited', model: '*', scope: 'default' }, ctx)).toEqual([
      { keyId: 1, cooldowns: [{ model: '*', until: now + 60_000, reason: 'default' }] },
    ]);
  });

  it('a rate limit cools every key of the project, once each', () => {
    const key = makeKey(1, { project: 'p' });
    const projectKeys = [
      key,
      makeKey(2, { project: 'p' }),
      makeKey(3, { project: 'p' }),
      makeKey(4, { project: 'q' }),
    ];
    const changes = transition(
      key,
      { kind: 'rate-limited', model: 'm', scope: 'default', retryDelayMs: 1000 },
      { ...ctx, projectKeys },
    );
    expect(changes.map((c) => c.keyId)).toEqual([1, 2, 3]);
    for (const c of changes)
      expect(c.cooldowns).toEqual([{ model: 'm', until: now + 1000, reason: 'default' }]);
  });

  it('a key without a project cools alone', () => {
    const changes = transition(
      makeKey(1),
      { kind: 'rate-limited', model: 'm', scope: 'default' },
      { ...ctx, projectKeys: [makeKey(2)] },
    );
    expect(changes.map((c) => c.keyId)).toEqual([1]);
  });

  it('key-error counts up and disables temporarily at the threshold', () => {
    const outcome = { kind: 'key-error', status: 403, reason: 'PERMISSION_DENIED' } as const;
    expect(transition(makeKey(1, { consecutiveErrors: 1 }), outcome, ctx)).toEqual([
      { keyId: 1, consecutiveErrors: 2 },
    ]);
    expect(transition(makeKey(1, { consecutiveErrors: 2 }), outcome, ctx)).toEqual([
      {
        keyId: 1,
        consecutiveErrors: 3,
        disabled: { by: 'auto', reason: 'TOO_MANY_ERRORS', until: now + 3_600_000 },
      },
    ]);
  });

  it('upstream and client faults change nothing', () => {
    const key = makeKey(1, { consecutiveErrors: 2 });
    expect(transition(key, { kind: 'upstream-fault', status: 503, reason: 'UNAVAILABLE' }, ctx)).toEqual([]);
    expect(transition(key, { kind: 'client-fault', status: 404 }, ctx)).toEqual([]);
  });
});

describe('nextPacificMidnight', () => {
  it('PST in winter: midnight is 08:00 UTC', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 0, 10, 20, 30))).toBe(Date.UTC(2026, 0, 11, 8));
  });

  it('late evening Pacific (already the next day in UTC)', () => {
    // 2026-01-11 05:00 UTC is 2026-01-10 21:00 PST.
    expect(nextPacificMidnight(Date.UTC(2026, 0, 11, 5))).toBe(Date.UTC(2026, 0, 11, 8));
  });

  it('exactly at midnight gives the following midnight', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 0, 11, 8))).toBe(Date.UTC(2026, 0, 12, 8));
  });

  it('across spring-forward (2026-03-08): the day before ends at PST midnight, the day after at PDT', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 2, 7, 20))).toBe(Date.UTC(2026, 2, 8, 8));
    // 2026-03-08 12:00 UTC is 05:00 PDT (switched at 02:00); the next midnight is 07:00 UTC.
    expect(nextPacificMidnight(Date.UTC(2026, 2, 8, 12))).toBe(Date.UTC(2026, 2, 9, 7));
  });

  it('across fall-back (2026-11-01)', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 9, 31, 20))).toBe(Date.UTC(2026, 10, 1, 7));
    expect(nextPacificMidnight(Date.UTC(2026, 10, 1, 12))).toBe(Date.UTC(2026, 10, 2, 8));
  });
});
