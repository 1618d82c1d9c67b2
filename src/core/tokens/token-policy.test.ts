import { describe, expect, it } from 'vitest';
import { OPEN_RULES } from '../access-tokens.js';
import type { LimitStore, TokenReservation, TokenWindowCounts } from '../ports.js';
import type { AccessToken } from '../types.js';
import { TokenPolicy } from './token-policy.js';

const T0 = Date.UTC(2026, 5, 1, 6, 58, 30);

function token(over: Partial<AccessToken> = {}): AccessToken {
  return {
    id: 1,
    name: 't',
    hint: 'h',
    source: 'api',
    createdAt: 0,
    lastUsedAt: null,
    revokedAt: null,
    ...OPEN_RULES,
    ...over,
  };
}

/** A store that grants the first `grant` reservations and records every batch. */
function fakeStore(grant: number, counts: TokenWindowCounts) {
  const batches: TokenReservation[][] = [];
  let granted = 0;
  const store = {
    async reserveTokenRequests(rs: readonly TokenReservation[]) {
      batches.push([...rs]);
      return rs.map(() => granted++ < grant);
    },
    async tokenCounts() {
      return counts;
    },
  } as unknown as LimitStore;
  return { store, batches };
}

const NO_COUNTS = { minuteRequests: 0, dayRequests: 0, minuteTokens: 0, dayTokens: 0 };

describe('TokenPolicy', () => {
  it('touches no storage for a token without limits, and refuses models outside the allow-list', async () => {
    const { store, batches } = fakeStore(0, NO_COUNTS);
    const policy = new TokenPolicy({ limits: store, clock: { now: () => T0 } });
    expect(await policy.admit(token(), 'gemini-2.5-pro')).toBeNull();
    expect(
      await policy.admit(token({ models: ['gemini-2.5-flash*'] }), 'models/gemini-2.5-pro'),
    ).toMatchObject({
      status: 403,
      code: 'model_not_allowed',
    });
    expect(await policy.admit(token({ models: ['gemini-2.5-flash*'] }), null)).toBeNull();
    expect(batches).toEqual([]);
  });

  it('answers at once, without a promise, unless storage must count the request', async () => {
    const { store, batches } = fakeStore(1, NO_COUNTS);
    const policy = new TokenPolicy({ limits: store, clock: { now: () => T0 } });
    const flashOnly = { models: ['gemini-2.5-flash*'] };
    expect(policy.admit(token(), 'gemini-2.5-pro')).toBeNull();
    expect(policy.admit(token(flashOnly), 'gemini-2.5-pro')).toMatchObject({ code: 'model_not_allowed' });
    // The allow-list refuses before anything is counted, limits or not.
    expect(policy.admit(token({ ...flashOnly, rpm: 1 }), 'gemini-2.5-pro')).toMatchObject({
      code: 'model_not_allowed',
    });
    expect(batches).toEqual([]);
    const first = policy.admit(token({ rpm: 1 }), 'gemini-2.5-flash');
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBeNull();
    expect(await policy.admit(token({ rpm: 1 }), 'gemini-2.5-flash')).toMatchObject({
      status: 429,
      code: 'token_limit_reached',
    });
    expect(batches).toHaveLength(2);
  });

  it('stops counting the tokens of a token whose limits were removed', async () => {
    const { store } = fakeStore(10, NO_COUNTS);
    const policy = new TokenPolicy({ limits: store, clock: { now: () => T0 } });
    expect(await policy.admit(token({ tpm: 100 }), 'gemini-2.5-flash')).toBeNull();
    policy.recordTokens(1, 40, T0);
    expect(policy.pendingSize).toBe(2);
    policy.drain();
    expect(policy.admit(token(), 'gemini-2.5-flash')).toBeNull();
    policy.recordTokens(1, 40, T0);
    expect(policy.pendingSize).toBe(0);
  });

  it('writes the reservations of one batch window together', async () => {
    const { store, batches } = fakeStore(2, { ...NO_COUNTS, minuteRequests: 2, dayRequests: 2 });
    const flushes: Array<() => void> = [];
    const policy = new TokenPolicy({
      limits: store,
      clock: { now: () => T0 },
      batchWindow: (f) => flushes.push(f),
    });
    const limited = token({ rpm: 2 });
    const answers = Promise.all([1, 2, 3].map(() => policy.admit(limited, 'gemini-2.5-flash')));
    expect(flushes).toHaveLength(1);
    flushes[0]!();
    const [a, b, c] = await answers;
    expect([a, b]).toEqual([null, null]);
    expect(c).toMatchObject({ status: 429, code: 'token_limit_reached', retryAfterSeconds: 30 });
    expect(c!.message).toContain('rpm limit of 2 (requests per minute)');
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(3);
    expect(batches[0]![0]).toMatchObject({
      tokenId: 1,
      rpm: 2,
      minuteEnd: Date.UTC(2026, 5, 1, 6, 59),
      dayEnd: Date.UTC(2026, 5, 1, 7),
    });
  });

  it('counts tokens not yet stored against tpm and tpd, and hands them to the flush', async () => {
    const { store, batches } = fakeStore(10, NO_COUNTS);
    const policy = new TokenPolicy({ limits: store, clock: { now: () => T0 } });
    const limited = token({ tpm: 100, tpd: 1000 });
    expect(await policy.admit(limited, 'gemini-2.5-flash')).toBeNull();
    policy.recordTokens(1, 40, T0);
    policy.recordTokens(2, 40, T0); // a token never admitted with limits is not counted
    expect(await policy.admit(limited, 'gemini-2.5-flash')).toBeNull();
    expect(batches[1]![0]).toMatchObject({ tpm: 60, tpd: 960 });
    expect(policy.drain().sort((x, y) => x.period.localeCompare(y.period))).toEqual([
      { subject: 't:1', model: 'tokens', period: 'day', windowEnd: Date.UTC(2026, 5, 1, 7), count: 40 },
      {
        subject: 't:1',
        model: 'tokens',
        period: 'minute',
        windowEnd: Date.UTC(2026, 5, 1, 6, 59),
        count: 40,
      },
    ]);
    expect(policy.pendingSize).toBe(0);
  });

  it('refuses a paused token and an expired one from its second on', () => {
    let now = T0;
    const { store } = fakeStore(0, NO_COUNTS);
    const policy = new TokenPolicy({ limits: store, clock: { now: () => now } });
    expect(policy.checkCredential(token({ enabled: false }))).toMatchObject({
      status: 401,
      code: 'token_paused',
    });
    const expiring = token({ expiresAt: T0 + 1000 });
    now = T0 + 999;
    expect(policy.checkCredential(expiring)).toBeNull();
    now = T0 + 1000;
    expect(policy.checkCredential(expiring)).toMatchObject({ status: 401, code: 'token_expired' });
  });
});
