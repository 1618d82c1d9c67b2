/** UsageStore: listing with filters and keyset pagination, stats, pruning. */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import { type MakeStorage, T0, emptyBatch, usage, useFixture } from './fixture.js';

const HOUR = 3_600_000;
/** An hour boundary, so bucket starts are easy to state. */
const H0 = Math.floor(T0 / HOUR) * HOUR - 10 * HOUR;

async function seedUsage(storage: Storage): Promise<void> {
  await storage.keys.applyBatch(
    {
      ...emptyBatch(),
      usage: [
        usage({ keyId: 1, endpoint: 'chat.completions', model: 'flash', status: 200, timestamp: H0 + 1 }),
        usage({
          keyId: 1,
          endpoint: 'chat.completions',
          model: 'flash',
          status: 429,
          outcome: 'rate-limited',
          timestamp: H0 + 2,
          tokens: { prompt: 0, completion: 0, total: 0 },
        }),
        usage({
          keyId: 2,
          endpoint: 'embeddings',
          model: 'embed',
          status: 200,
          timestamp: H0 + HOUR + 5,
          tokens: { prompt: 7, completion: 0, total: 7 },
        }),
        usage({
          keyId: 2,
          endpoint: 'generateContent',
          model: 'flash',
          status: 200,
          outcome: 'client-abort',
          timestamp: H0 + HOUR + 6,
        }),
        usage({
          keyId: null,
          endpoint: 'chat.completions',
          model: null,
          status: 503,
          outcome: 'upstream-fault',
          timestamp: H0 + 3 * HOUR,
          tokens: { prompt: 0, completion: 0, total: 0 },
        }),
        usage({
          keyId: 1,
          endpoint: 'chat.completions',
          model: 'flash',
          status: 200,
          timestamp: H0 + 5 * HOUR,
        }),
      ],
    },
    H0,
  );
}

export function usageContract(make: MakeStorage): void {
  const fx = useFixture(make);

  describe('listUsage', () => {
    it('lists newest first and pages with beforeId', async () => {
      const { storage } = fx();
      await seedUsage(storage);
      const all = await storage.usage.listUsage({ limit: 100 });
      expect(all.map((r) => r.timestamp - H0)).toEqual([5 * HOUR, 3 * HOUR, HOUR + 6, HOUR + 5, 2, 1]);
      const ids = all.map((r) => r.id);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);

      const page1 = await storage.usage.listUsage({ limit: 4 });
      const page2 = await storage.usage.listUsage({ limit: 4, beforeId: page1.at(-1)!.id });
      expect(page1.map((r) => r.id)).toEqual(ids.slice(0, 4));
      expect(page2.map((r) => r.id)).toEqual(ids.slice(4));
    });

    it('filters by key, model, endpoint, status and since', async () => {
      const { storage } = fx();
      await seedUsage(storage);
      const stamps = async (q: Parameters<Storage['usage']['listUsage']>[0]) =>
        (await storage.usage.listUsage(q)).map((r) => r.timestamp - H0);
      expect(await stamps({ limit: 100, keyId: 2 })).toEqual([HOUR + 6, HOUR + 5]);
      expect(await stamps({ limit: 100, model: 'embed' })).toEqual([HOUR + 5]);
      expect(await stamps({ limit: 100, endpoint: 'chat.completions', status: 200 })).toEqual([5 * HOUR, 1]);
      expect(await stamps({ limit: 100, status: 429 })).toEqual([2]);
      expect(await stamps({ limit: 100, since: H0 + 3 * HOUR })).toEqual([5 * HOUR, 3 * HOUR]);
      expect(await stamps({ limit: 1, keyId: 1, since: H0 + 2 })).toEqual([5 * HOUR]);
      expect(await stamps({ limit: 100, keyId: 3 })).toEqual([]);
    });

    it('round-trips every field of a usage record', async () => {
      const { storage } = fx();
      const record = usage({
        keyId: 9,
        endpoint: 'streamGenerateContent',
        model: 'pro',
        status: 400,
        outcome: 'client-fault',
        tokens: { prompt: 1, completion: 2, total: 3 },
        latencyMs: 1234,
        accessTokenId: 4,
        attempt: 2,
        timestamp: T0,
        error: 'INVALID_ARGUMENT',
      });
      await storage.keys.applyBatch({ ...emptyBatch(), usage: [record] }, T0);
      expect(await storage.usage.listUsage({ limit: 1 })).toEqual([{ ...record, id: expect.any(Number) }]);
    });
  });

  describe('stats', () => {
    it('groups the range by key, endpoint, model, status and time bucket', async () => {
      const { storage } = fx();
      await seedUsage(storage);
      const stats = await storage.usage.stats({ since: H0, until: H0 + 5 * HOUR, bucketMs: HOUR });
      // The row at exactly `until` is outside the range; errors are status >= 400 or outcome != ok.
      expect(stats.totals).toEqual({
        requests: 5,
        errors: 3,
        promptTokens: 27,
        completionTokens: 10,
        totalTokens: 37,
      });
      expect(stats.byKey).toEqual([
        { keyId: 1, requests: 2, errors: 1, totalTokens: 15 },
        { keyId: 2, requests: 2, errors: 1, totalTokens: 22 },
        { keyId: null, requests: 1, errors: 1, totalTokens: 0 },
      ]);
      expect(stats.byEndpoint).toEqual([
        { endpoint: 'chat.completions', requests: 3, errors: 2, totalTokens: 15 },
        { endpoint: 'embeddings', requests: 1, errors: 0, totalTokens: 7 },
        { endpoint: 'generateContent', requests: 1, errors: 1, totalTokens: 15 },
      ]);
      expect(stats.byModel).toEqual([
        { model: 'flash', requests: 3, errors: 2, totalTokens: 30 },
        { model: 'embed', requests: 1, errors: 0, totalTokens: 7 },
        { model: null, requests: 1, errors: 1, totalTokens: 0 },
      ]);
      expect(stats.byStatus).toEqual([
        { status: 200, count: 3 },
        { status: 429, count: 1 },
        { status: 503, count: 1 },
      ]);
      expect(stats.series).toEqual([
        { t: H0, requests: 2, errors: 1, totalTokens: 15 },
        { t: H0 + HOUR, requests: 2, errors: 1, totalTokens: 22 },
        { t: H0 + 3 * HOUR, requests: 1, errors: 1, totalTokens: 0 },
      ]);
    });

    it('returns zero totals and empty groups for an empty range', async () => {
      const { storage } = fx();
      await seedUsage(storage);
      const stats = await storage.usage.stats({ since: H0 + 6 * HOUR, until: H0 + 7 * HOUR, bucketMs: HOUR });
      expect(stats).toEqual({
        totals: { requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        byKey: [],
        byEndpoint: [],
        byModel: [],
        byStatus: [],
        series: [],
      });
    });
  });

  describe('pruneUsage', () => {
    it('deletes rows older than `before` and keeps the rest', async () => {
      const { storage } = fx();
      await seedUsage(storage);
      expect(await storage.usage.pruneUsage(H0 + HOUR + 6)).toBe(3);
      const left = await storage.usage.listUsage({ limit: 100 });
      expect(left.map((r) => r.timestamp - H0)).toEqual([5 * HOUR, 3 * HOUR, HOUR + 6]);
      expect(await storage.usage.pruneUsage(H0)).toBe(0);
    });
  });

  describe('rateLimitedSince', () => {
    it('returns the rate-limited attempts after an id, or since a time, and the newest id', async () => {
      const { storage } = fx();
      expect(await storage.usage.rateLimitedSince({ afterId: 0 })).toEqual({ lastId: 0, attempts: [] });
      await seedUsage(storage);
      const all = await storage.usage.listUsage({ limit: 100 });
      const newest = all[0]!.id;
      const limited = all.find((r) => r.outcome === 'rate-limited')!;
      const expected = { keyId: 1, timestamp: H0 + 2, error: limited.error };
      expect(await storage.usage.rateLimitedSince({ afterId: 0 })).toEqual({
        lastId: newest,
        attempts: [expected],
      });
      expect(await storage.usage.rateLimitedSince({ afterId: limited.id })).toEqual({
        lastId: newest,
        attempts: [],
      });
      expect(await storage.usage.rateLimitedSince({ sinceTime: H0 + 2 })).toEqual({
        lastId: newest,
        attempts: [expected],
      });
      // Past the newest id (the table was emptied and filled again): the newest id, to go on from.
      expect(await storage.usage.rateLimitedSince({ afterId: newest + 50 })).toEqual({
        lastId: newest,
        attempts: [],
      });
    });
  });
}
