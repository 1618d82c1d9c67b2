/**
 * Storage behaviour the operations features rely on: hourly rollups (and stats over them) and
 * persisted local-limit counts. Nothing Node-only, so a workerd test can run it against D1 too:
 * `opsStorageContract('d1', makeD1())` with the fixture of test/worker/storage-contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import { emptyBatch, type MakeStorage, type StorageFixture, usage, useFixture } from '../contract/fixture.js';

const HOUR = 3_600_000;
/** An hour boundary in the past. */
const H0 = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
/** Tables these tests write that an adapter's own wipe may not know yet. */
const OPS_TABLES = ['usage_hourly', 'usage_hourly_keys', 'local_limit_counts'];

async function fresh(fx: () => StorageFixture): Promise<Storage> {
  const f = fx();
  for (const table of OPS_TABLES) await f.sql?.(`DELETE FROM ${table}`);
  await f.sql?.("DELETE FROM pool_meta WHERE key = 'usage_rollup_until'");
  return f.storage;
}

async function seed(storage: Storage): Promise<void> {
  await storage.keys.applyBatch(
    {
      ...emptyBatch(),
      usage: [
        usage({ keyId: 1, model: 'flash', timestamp: H0 + 1 }),
        usage({
          keyId: 2,
          model: 'flash',
          status: 429,
          outcome: 'rate-limited',
          timestamp: H0 + 2,
          tokens: { prompt: 0, completion: 0, total: 0 },
        }),
        usage({ keyId: 2, model: null, endpoint: 'models.list', timestamp: H0 + HOUR + 3 }),
        usage({
          keyId: null,
          model: 'pro',
          status: 503,
          outcome: 'upstream-fault',
          timestamp: H0 + 2 * HOUR + 4,
        }),
      ],
    },
    H0,
  );
}

export function opsStorageContract(name: string, make: MakeStorage): void {
  describe(`ops storage: ${name}`, () => {
    const fx = useFixture(make);

    it('folds finished hours once, moves the watermark forward only, and stats read the rollups', async () => {
      const storage = await fresh(fx);
      await seed(storage);
      const range = { since: H0, until: H0 + 3 * HOUR, bucketMs: HOUR };
      const raw = await storage.usage.stats(range);

      expect(await storage.usage.rollupUsage(H0 + 2 * HOUR + 10, 1)).toEqual({
        hours: 1,
        rolledUpUntil: H0 + HOUR,
      });
      expect(await storage.usage.rollupUsage(H0 + 2 * HOUR + 10, 24)).toEqual({
        hours: 1,
        rolledUpUntil: H0 + 2 * HOUR,
      });
      expect(await storage.usage.rollupUsage(H0 + 2 * HOUR + 10, 24)).toEqual({
        hours: 0,
        rolledUpUntil: H0 + 2 * HOUR,
      });
      expect(await storage.usage.stats(range)).toEqual(raw);
      // Whole hours before the watermark no longer touch raw rows.
      await fx().sql?.('DELETE FROM api_key_usage WHERE request_timestamp < ?', [H0 + 2 * HOUR]);
      if (fx().sql) expect(await storage.usage.listUsage({ limit: 10 })).toHaveLength(1);
      const rolled = await storage.usage.stats(range);
      expect(rolled).toEqual(raw);
      expect(rolled.byKey).toEqual([
        { keyId: 2, requests: 2, errors: 1, totalTokens: 15 },
        { keyId: 1, requests: 1, errors: 0, totalTokens: 15 },
        { keyId: null, requests: 1, errors: 1, totalTokens: 15 },
      ]);
      expect(rolled.byModel.map((m) => m.model)).toEqual(['flash', 'pro', null]);
    });

    it('filters usage pages through rollups and raw rows, and retention never lets an id be handed out again', async () => {
      const storage = await fresh(fx);
      await fx().sql?.('DELETE FROM api_key_usage');
      await seed(storage);
      const ids = (await storage.usage.listUsage({ limit: 10 })).map((r) => r.id);
      expect(ids).toHaveLength(4);
      // The first two hours folded; the third is still raw.
      await storage.usage.rollupUsage(H0 + 2 * HOUR, 24);
      expect((await storage.usage.listUsage({ limit: 10, keyId: 2 })).map((r) => r.id)).toEqual([
        ids[1],
        ids[2],
      ]);
      expect((await storage.usage.listUsage({ limit: 1, keyId: 2 })).map((r) => r.id)).toEqual([ids[1]]);
      expect(
        (await storage.usage.listUsage({ limit: 10, keyId: 2, beforeId: ids[1] })).map((r) => r.id),
      ).toEqual([ids[2]]);
      expect(
        (await storage.usage.listUsage({ limit: 10, model: 'flash', status: 429 })).map((r) => r.id),
      ).toEqual([ids[2]]);
      expect((await storage.usage.listUsage({ limit: 10, model: 'pro' })).map((r) => r.id)).toEqual([ids[0]]);
      expect(await storage.usage.listUsage({ limit: 10, keyId: 3 })).toEqual([]);

      // Everything is older than the cut-off, but the newest row stays.
      expect(await storage.usage.pruneUsage(H0 + 4 * HOUR)).toBe(3);
      expect((await storage.usage.listUsage({ limit: 10 })).map((r) => r.id)).toEqual([ids[0]]);
      await storage.keys.applyBatch(
        { ...emptyBatch(), usage: [usage({ keyId: 1, timestamp: H0 + 5 * HOUR })] },
        H0,
      );
      const [newest] = await storage.usage.listUsage({ limit: 1 });
      expect(newest!.id).toBe(ids[0]! + 1);
    });

    it('a first rollup over an empty table only records where to start; pruning drops old rollups', async () => {
      const storage = await fresh(fx);
      expect(await storage.usage.rollupUsage(H0 + 2 * HOUR + 1, 24)).toEqual({
        hours: 0,
        rolledUpUntil: H0 + 2 * HOUR,
      });
      // Rows that arrive afterwards carry later times: they are read raw until their hour is folded.
      await seed(storage);
      const range = { since: H0 + 2 * HOUR, until: H0 + 3 * HOUR, bucketMs: HOUR };
      expect((await storage.usage.stats(range)).totals.requests).toBe(1);
      expect(await storage.usage.rollupUsage(H0 + 3 * HOUR, 24)).toEqual({
        hours: 1,
        rolledUpUntil: H0 + 3 * HOUR,
      });
      expect((await storage.usage.stats(range)).totals.requests).toBe(1);
      // Retention removes a rollup hour once all of it is older than the cut-off.
      await storage.usage.pruneUsage(H0 + 3 * HOUR - 1);
      expect((await storage.usage.stats(range)).totals.requests).toBe(1);
      await storage.usage.pruneUsage(H0 + 3 * HOUR);
      expect((await storage.usage.stats(range)).totals.requests).toBe(0);
    });

    it('adds local-limit increments per window, loads running windows, and prunes ended ones', async () => {
      const storage = await fresh(fx);
      const minuteEnd = H0 + 60_000;
      const dayEnd = H0 + 24 * HOUR;
      const batch = (count: number) => ({
        ...emptyBatch(),
        limitCounts: [
          { subject: 'p:proj', model: 'flash', period: 'minute' as const, windowEnd: minuteEnd, count },
          { subject: 'p:proj', model: 'flash', period: 'day' as const, windowEnd: dayEnd, count },
          { subject: 'k:7', model: 'pro', period: 'day' as const, windowEnd: dayEnd, count: 1 },
        ],
      });
      await storage.keys.applyBatch(batch(2), H0);
      await storage.keys.applyBatch(batch(3), H0);
      const loaded = await storage.limits.loadLimitCounts(H0);
      expect(
        loaded.sort((a, b) => `${a.subject}${a.period}`.localeCompare(`${b.subject}${b.period}`)),
      ).toEqual([
        { subject: 'k:7', model: 'pro', period: 'day', windowEnd: dayEnd, count: 2 },
        { subject: 'p:proj', model: 'flash', period: 'day', windowEnd: dayEnd, count: 5 },
        { subject: 'p:proj', model: 'flash', period: 'minute', windowEnd: minuteEnd, count: 5 },
      ]);
      expect((await storage.limits.loadLimitCounts(minuteEnd)).map((r) => r.period)).toEqual(['day', 'day']);
      expect(await storage.limits.pruneLimitCounts(minuteEnd)).toBe(1);
      expect(await storage.limits.pruneLimitCounts(dayEnd)).toBe(2);
      expect(await storage.limits.loadLimitCounts(H0)).toEqual([]);
    });

    it('writes many local-limit rows in one flush (D1 binds at most 100 parameters per statement)', async () => {
      const storage = await fresh(fx);
      const limitCounts = Array.from({ length: 250 }, (_, i) => ({
        subject: `k:${i + 1}`,
        model: 'flash',
        period: 'day' as const,
        windowEnd: H0 + 24 * HOUR,
        count: 1,
      }));
      await storage.keys.applyBatch({ ...emptyBatch(), limitCounts }, H0);
      expect(await storage.limits.loadLimitCounts(H0)).toHaveLength(250);
    });

    it('grants a lease to one holder at a time until it expires; its holder renews it', async () => {
      const storage = await fresh(fx);
      const { meta } = storage;
      expect(await meta.tryLease('jobs', 'a', H0 + 1000, H0)).toBe(true);
      expect(await meta.tryLease('jobs', 'b', H0 + 2000, H0 + 500)).toBe(false);
      expect(await meta.tryLease('jobs', 'a', H0 + 2000, H0 + 500)).toBe(true);
      expect(await meta.tryLease('jobs', 'b', H0 + 3000, H0 + 1999)).toBe(false);
      expect(await meta.tryLease('other', 'b', H0 + 3000, H0 + 1999)).toBe(true);
      expect(await meta.tryLease('jobs', 'b', H0 + 3000, H0 + 2000)).toBe(true);
      expect(await meta.tryLease('jobs', 'a', H0 + 4000, H0 + 2500)).toBe(false);
      // Holders racing for an expired lease: exactly one wins.
      const won = await Promise.all(
        ['c', 'd', 'e', 'f'].map((holder) => meta.tryLease('jobs', holder, H0 + 9000, H0 + 5000)),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('reserves key requests atomically in the windows that are on: exactly the limit passes', async () => {
      const storage = await fresh(fx);
      const minuteEnd = H0 + 60_000;
      const dayEnd = H0 + 24 * HOUR;
      const r = { subject: 'k:3', model: 'flash', minuteEnd, dayEnd, rpm: 4, rpd: 6 };
      expect(await storage.limits.reserveKeyRequests([r, r, r])).toEqual([true, true, true]);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => storage.limits.reserveKeyRequests([r, r])),
      );
      expect(results.flat().filter(Boolean)).toHaveLength(1);
      // A new minute: the day limit (6) stops the third request of it.
      const next = { ...r, minuteEnd: minuteEnd + 60_000 };
      const later = [];
      for (let i = 0; i < 3; i++) later.push(...(await storage.limits.reserveKeyRequests([next])));
      expect(later).toEqual([true, true, false]);
      // Another model and another subject have their own counts; a day-only limit writes no minute row.
      const dayOnly = { subject: 'p:proj', model: 'pro', minuteEnd: 0, dayEnd, rpm: 0, rpd: 1 };
      expect(await storage.limits.reserveKeyRequests([dayOnly, dayOnly])).toEqual([true, false]);
      const loaded = await storage.limits.loadLimitCounts(H0);
      expect(
        loaded.sort((a, b) =>
          `${a.subject}${a.period}${a.windowEnd}`.localeCompare(`${b.subject}${b.period}${b.windowEnd}`),
        ),
      ).toEqual([
        { subject: 'k:3', model: 'flash', period: 'day', windowEnd: dayEnd, count: 6 },
        { subject: 'k:3', model: 'flash', period: 'minute', windowEnd: minuteEnd, count: 4 },
        { subject: 'k:3', model: 'flash', period: 'minute', windowEnd: minuteEnd + 60_000, count: 2 },
        { subject: 'p:proj', model: 'pro', period: 'day', windowEnd: dayEnd, count: 1 },
      ]);
    });

    it('reserves token requests atomically: exactly the limit passes, a refusal counts nothing', async () => {
      const storage = await fresh(fx);
      const minuteEnd = H0 + 60_000;
      const dayEnd = H0 + 24 * HOUR;
      const r = { tokenId: 7, minuteEnd, dayEnd, rpm: 5, rpd: 8, tpm: null, tpd: null };
      // One batch (one transaction), as reservations arriving together are written; and several batches at once.
      expect(await storage.limits.reserveTokenRequests(Array(3).fill(r))).toEqual([true, true, true]);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => storage.limits.reserveTokenRequests([r, r])),
      );
      expect(results.flat().filter(Boolean)).toHaveLength(2);
      expect(await storage.limits.tokenCounts(7, minuteEnd, dayEnd)).toEqual({
        minuteRequests: 5,
        dayRequests: 5,
        minuteTokens: 0,
        dayTokens: 0,
      });
      // A new minute: the day limit (8) stops the fourth request of it.
      const next = { ...r, minuteEnd: minuteEnd + 60_000 };
      const later = [];
      for (let i = 0; i < 4; i++) later.push(...(await storage.limits.reserveTokenRequests([next])));
      expect(later).toEqual([true, true, true, false]);
      // Tokens recorded at flush time stop the next request once they reach tpm.
      const tokens = (count: number) => ({
        ...emptyBatch(),
        limitCounts: [
          { subject: 't:9', model: 'tokens', period: 'minute' as const, windowEnd: minuteEnd, count },
          { subject: 't:9', model: 'tokens', period: 'day' as const, windowEnd: dayEnd, count },
        ],
      });
      await storage.keys.applyBatch(tokens(99), H0);
      const byTokens = { tokenId: 9, minuteEnd, dayEnd, rpm: null, rpd: null, tpm: 100, tpd: null };
      expect(await storage.limits.reserveTokenRequests([byTokens])).toEqual([true]);
      await storage.keys.applyBatch(tokens(1), H0);
      expect(await storage.limits.reserveTokenRequests([byTokens])).toEqual([false]);
      expect(await storage.limits.tokenCounts(9, minuteEnd, dayEnd)).toEqual({
        minuteRequests: 1,
        dayRequests: 1,
        minuteTokens: 100,
        dayTokens: 100,
      });
      const counts = await storage.limits.tokenWindowCounts(minuteEnd, dayEnd);
      expect(counts.get(7)).toEqual({ minuteRequests: 5, dayRequests: 8, minuteTokens: 0, dayTokens: 0 });
      expect(counts.get(9)).toEqual({ minuteRequests: 1, dayRequests: 1, minuteTokens: 100, dayTokens: 100 });
      // Token rows are not local key-limit counts.
      expect(await storage.limits.loadLimitCounts(H0)).toEqual([]);
    });
  });
}
