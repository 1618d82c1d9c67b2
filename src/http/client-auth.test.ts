import { describe, expect, it } from 'vitest';
import { OPEN_RULES } from '../core/access-tokens.js';
import { sha256Hex } from '../core/crypto.js';
import type { TokenStore } from '../core/ports.js';
import type { AccessToken } from '../core/types.js';
import { BEARER_ONLY, ClientAuth, presentedToken } from './client-auth.js';

function fakeStore(tokens: Map<string, number>) {
  const calls = { find: 0 };
  const store = {
    async findTokenByHash(hash: string): Promise<AccessToken | null> {
      calls.find += 1;
      for (const [token, id] of tokens) {
        if ((await sha256Hex(token)) === hash) {
          return {
            id,
            name: 't',
            hint: '',
            source: 'api',
            createdAt: 0,
            lastUsedAt: null,
            revokedAt: null,
            ...OPEN_RULES,
          };
        }
      }
      return null;
    },
  } as unknown as TokenStore;
  return { store, calls };
}

/** A ClientAuth over `tokens`, with a hand-set clock and the background work it defers. */
function harness(tokens: Map<string, number>) {
  const { store, calls } = fakeStore(tokens);
  const clock = { now: 0 };
  const deferred: Array<Promise<unknown>> = [];
  const auth = new ClientAuth(store, { now: () => clock.now });
  const defer = (p: Promise<unknown>) => deferred.push(p);
  return { auth, store, calls, clock, deferred, defer };
}

describe('ClientAuth', () => {
  it('keeps a token it accepted working while storage is unreachable, after invalidate and past the stale limit', async () => {
    const tokens = new Map([['good-token', 7]]);
    const { auth, store, clock, defer } = harness(tokens);
    expect((await auth.verify('good-token', defer))?.id).toBe(7);
    store.findTokenByHash = () => Promise.reject(new Error('connect ECONNREFUSED'));
    auth.invalidate();
    expect((await auth.verify('good-token', defer))?.id).toBe(7);
    clock.now = 60_000;
    expect((await auth.verify('good-token', defer))?.id).toBe(7);
    await expect(auth.verify('never-seen', defer)).rejects.toThrow('ECONNREFUSED');
  });

  it('checks every token again after invalidate when storage answers: a revocation applies at once', async () => {
    const tokens = new Map([['good-token', 7]]);
    const { auth, defer } = harness(tokens);
    expect((await auth.verify('good-token', defer))?.id).toBe(7);
    tokens.delete('good-token');
    auth.invalidate();
    expect(await auth.verify('good-token', defer)).toBeNull();
  });

  it('answers a known token from cache, and after the TTL re-checks it once in the background', async () => {
    const tokens = new Map([['good-token', 7]]);
    const { auth, calls, clock, deferred, defer } = harness(tokens);

    const first = auth.verify('good-token', defer);
    expect(first).toBeInstanceOf(Promise);
    expect((await first)?.id).toBe(7);
    // From cache, the verdict comes at once: no promise.
    expect((auth.verify('good-token', defer) as AccessToken | null)?.id).toBe(7);
    expect(calls.find).toBe(1);

    tokens.delete('good-token');
    clock.now = 15_000;
    expect((auth.verify('good-token', defer) as AccessToken | null)?.id).toBe(7);
    expect((await auth.verify('good-token', defer))?.id).toBe(7);
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect(calls.find).toBe(2);
    expect(await auth.verify('good-token', defer)).toBeNull();
  });

  it('re-checks a verdict older than the stale limit before answering, so a revocation elsewhere applies', async () => {
    const tokens = new Map([['quiet-token', 9]]);
    const { auth, calls, clock, deferred, defer } = harness(tokens);

    expect((await auth.verify('quiet-token', defer))?.id).toBe(9);
    tokens.delete('quiet-token');
    clock.now = 20_000;
    expect(await auth.verify('quiet-token', defer)).toBeNull();
    expect(deferred).toHaveLength(0);
    expect(calls.find).toBe(2);
  });

  it('tries the background check again after one failed', async () => {
    const tokens = new Map([['flaky-token', 4]]);
    const { auth, store, calls, clock, deferred, defer } = harness(tokens);
    expect((await auth.verify('flaky-token', defer))?.id).toBe(4);
    const find = store.findTokenByHash.bind(store);
    store.findTokenByHash = async () => {
      throw new Error('storage unavailable');
    };
    clock.now = 12_000;
    expect((await auth.verify('flaky-token', defer))?.id).toBe(4);
    await expect(deferred[0]).rejects.toThrow('storage unavailable');
    store.findTokenByHash = find;
    tokens.delete('flaky-token');
    clock.now = 13_000;
    expect((await auth.verify('flaky-token', defer))?.id).toBe(4);
    expect(deferred).toHaveLength(2);
    await deferred[1];
    expect(await auth.verify('flaky-token', defer)).toBeNull();
    expect(calls.find).toBe(2);
  });

  it('checks unknown tokens every time the cached rejection has expired, and forgets on invalidate', async () => {
    const tokens = new Map<string, number>();
    const { auth, calls, clock, defer } = harness(tokens);
    expect(await auth.verify('new-token', defer)).toBeNull();
    tokens.set('new-token', 3);
    auth.invalidate();
    expect((await auth.verify('new-token', defer))?.id).toBe(3);
    clock.now = 120_000;
    tokens.clear();
    auth.invalidate();
    expect(await auth.verify('new-token', defer)).toBeNull();
    expect(calls.find).toBe(3);
  });
  it('keeps a token in use cached while 10,000 unknown tokens go through', async () => {
    const { auth, calls, defer } = harness(new Map([['busy-token', 3]]));
    expect((await auth.verify('busy-token', defer))?.id).toBe(3);
    for (let i = 0; i < 10_000; i++) {
      await auth.verify(`unknown-${i}`, defer);
      if (i % 1000 === 0) expect((await auth.verify('busy-token', defer))?.id).toBe(3);
    }
    expect((await auth.verify('busy-token', defer))?.id).toBe(3);
    expect(calls.find).toBe(1 + 10_000);
  });
});

describe('presentedToken', () => {
  const GOOGLE_STYLE = { googleStyle: true, xApiKey: false };
  const from = (headers: Record<string, string>, query = '') => ({
    header: (name: string) => headers[name] ?? null,
    query,
  });

  it('reads Bearer everywhere, and x-goog-api-key or ?key= only where Google style is allowed', () => {
    expect(presentedToken(from({ authorization: 'Bearer abc' }), BEARER_ONLY)).toBe('abc');
    expect(presentedToken(from({ 'x-goog-api-key': 'goog' }), BEARER_ONLY)).toBeNull();
    expect(presentedToken(from({ 'x-goog-api-key': 'goog' }), GOOGLE_STYLE)).toBe('goog');
    expect(presentedToken(from({}, 'key=q1&alt=sse'), GOOGLE_STYLE)).toBe('q1');
    expect(presentedToken(from({}, 'key=q1&alt=sse'), BEARER_ONLY)).toBeNull();
    expect(presentedToken(from({ authorization: 'Basic abc' }), GOOGLE_STYLE)).toBeNull();
  });

  it('reads x-api-key only where the dialect takes it, after Bearer', () => {
    const X_API_KEY = { googleStyle: false, xApiKey: true };
    expect(presentedToken(from({ 'x-api-key': 'ant' }), X_API_KEY)).toBe('ant');
    expect(presentedToken(from({ 'x-api-key': 'ant' }), BEARER_ONLY)).toBeNull();
    expect(presentedToken(from({ 'x-api-key': 'ant' }), GOOGLE_STYLE)).toBeNull();
    expect(presentedToken(from({ authorization: 'Bearer b', 'x-api-key': 'ant' }), X_API_KEY)).toBe('b');
    expect(presentedToken(from({ 'x-goog-api-key': 'goog' }), X_API_KEY)).toBeNull();
  });
});
