/** KeyStore writes that run on the hot path: flushes (`applyBatch`) and the maintenance job. */
import { describe, expect, it } from 'vitest';
import { type MakeStorage, T0, counter, emptyBatch, seedKeys, usage, useFixture } from './fixture.js';

export function writeContract(make: MakeStorage): void {
  const fx = useFixture(make);

  describe('applyBatch', () => {
    it('sums counters across batches, including concurrent ones, without bumping updated_at', async () => {
      const { storage } = fx();
      const [a, b] = await seedKeys(storage, 2, T0);
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          counters: [counter(a!, { requests: 3, errors: 1, lastUsedAt: T0 + 50 }), counter(b!)],
        },
        T0 + 50,
      );
      await Promise.all(
        [1, 2, 3, 4, 5].map((i) =>
          storage.keys.applyBatch(
            {
              ...emptyBatch(),
              counters: [
                counter(a!, {
                  requests: 2,
                  errors: 1,
                  tokens: { prompt: 100, completion: 20, total: 120 },
                  lastUsedAt: T0 + i,
                  lastError: { text: `error ${i}`, at: T0 + i },
                }),
              ],
            },
            T0 + 60,
          ),
        ),
      );
      const [ka, kb] = await storage.keys.loadKeys();
      expect(ka).toMatchObject({
        totalRequests: 13,
        errorCount: 6,
        tokens: { prompt: 510, completion: 105, total: 615 },
        // The older timestamps of the later batches never move last_used_at back.
        lastUsedAt: T0 + 50,
        lastError: 'error 5',
        updatedAt: T0,
      });
      expect(kb).toMatchObject({
        totalRequests: 1,
        errorCount: 0,
        tokens: { prompt: 10, completion: 5, total: 15 },
      });
    });

    it('keeps the newest last error when an older one arrives later', async () => {
      const { storage } = fx();
      const [a] = await seedKeys(storage, 1, T0);
      const batch = (text: string, at: number) => ({
        ...emptyBatch(),
        counters: [counter(a!, { errors: 1, lastError: { text, at } })],
      });
      await storage.keys.applyBatch(batch('newer', T0 + 20), T0 + 20);
      await storage.keys.applyBatch(batch('older', T0 + 10), T0 + 21);
      expect((await storage.keys.loadKeys())[0]!.lastError).toBe('newer');
    });

    it('writes state changes and bumps updated_at', async () => {
      const f = fx();
      const [a, b] = await seedKeys(f.storage, 2, T0);
      await f.storage.keys.applyBatch(
        {
          ...emptyBatch(),
          changes: [
            {
              keyId: a!,
              disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null },
              consecutiveErrors: 1,
            },
            { keyId: b!, project: '987654', consecutiveErrors: 3 },
          ],
        },
        T0 + 7,
      );
      const [ka, kb] = await f.storage.keys.loadKeys();
      expect(ka).toMatchObject({
        disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null },
        consecutiveErrors: 1,
        updatedAt: T0 + 7,
      });
      expect(kb).toMatchObject({
        disabled: null,
        project: '987654',
        consecutiveErrors: 3,
        updatedAt: T0 + 7,
      });
      if (f.sql) {
        const rows = await f.sql('SELECT id, is_active FROM api_keys ORDER BY id');
        expect(rows.map((r) => Number(r.is_active))).toEqual([0, 1]);
      }

      await f.storage.keys.applyBatch(
        { ...emptyBatch(), changes: [{ keyId: a!, disabled: null, consecutiveErrors: 0 }] },
        T0 + 8,
      );
      expect((await f.storage.keys.loadKeys())[0]).toMatchObject({
        disabled: null,
        consecutiveErrors: 0,
        updatedAt: T0 + 8,
      });
      if (f.sql)
        expect(Number((await f.sql('SELECT is_active FROM api_keys WHERE id = ?', [a]))[0]!.is_active)).toBe(
          1,
        );
    });

    it('upserts cooldowns keeping the later end, and ignores deleted keys', async () => {
      const { storage } = fx();
      const [a, b] = await seedKeys(storage, 2, T0);
      const cool = (keyId: number, model: string, until: number, reason = 'per_minute') => ({
        ...emptyBatch(),
        changes: [{ keyId, cooldowns: [{ model, until, reason }] }],
      });
      await storage.keys.applyBatch(cool(a!, 'flash', T0 + 100), T0 + 1);
      await storage.keys.applyBatch(cool(a!, 'flash', T0 + 50, 'default'), T0 + 2);
      expect((await storage.keys.loadKeys())[0]!.cooldowns).toEqual([
        { model: 'flash', until: T0 + 100, reason: 'per_minute' },
      ]);
      expect((await storage.keys.loadKeys())[0]!.updatedAt).toBe(T0 + 2);

      await storage.keys.applyBatch(cool(a!, 'flash', T0 + 200, 'per_day'), T0 + 3);
      await storage.keys.applyBatch(cool(a!, 'pro', T0 + 10), T0 + 3);
      const cooldowns = (await storage.keys.loadKeys())[0]!.cooldowns.sort((x, y) =>
        x.model.localeCompare(y.model),
      );
      expect(cooldowns).toEqual([
        { model: 'flash', until: T0 + 200, reason: 'per_day' },
        { model: 'pro', until: T0 + 10, reason: 'per_minute' },
      ]);

      await storage.keys.deleteKeys([b!]);
      await storage.keys.applyBatch(cool(b!, 'flash', T0 + 100), T0 + 4);
      const keys = await storage.keys.loadKeys();
      expect(keys.map((k) => k.id)).toEqual([a]);
      expect(keys[0]!.cooldowns).toHaveLength(2);
    });

    it('appends usage rows and marks access tokens as used, all in one batch', async () => {
      const { storage } = fx();
      const [a] = await seedKeys(storage, 1, T0);
      const token = await storage.tokens.createToken(
        { name: 't', hash: 'h1', hint: 'gkp_…abcd', source: 'api' },
        T0,
      );
      const rows = Array.from({ length: 30 }, (_, i) =>
        usage({
          keyId: a!,
          timestamp: T0 + i,
          accessTokenId: i % 2 ? token.id : null,
          error: i === 3 ? 'boom' : null,
        }),
      );
      await storage.keys.applyBatch(
        { usage: rows, counters: [counter(a!, { requests: 30 })], changes: [] },
        T0 + 30,
      );
      const listed = await storage.usage.listUsage({ limit: 100 });
      expect(listed).toHaveLength(30);
      expect(listed[0]).toMatchObject({ ...rows[29], id: expect.any(Number) });
      expect(listed.find((r) => r.timestamp === T0 + 3)?.error).toBe('boom');
      expect((await storage.tokens.listTokens())[0]!.lastUsedAt).toBe(T0 + 29);
      expect((await storage.keys.loadKeys())[0]!.totalRequests).toBe(30);
    });

    it('applies an empty batch as a no-op', async () => {
      const { storage } = fx();
      await seedKeys(storage, 1, T0);
      await storage.keys.applyBatch(emptyBatch(), T0 + 1);
      expect((await storage.keys.loadKeys())[0]).toMatchObject({ totalRequests: 0, updatedAt: T0 });
    });
  });

  describe('cooldowns read from usage rows', () => {
    it('stores a cooldown marked inUsageRow without moving the key row', async () => {
      const { storage } = fx();
      const [a, b] = await seedKeys(storage, 2, T0);
      const cooldown = { model: 'm', until: T0 + 1_000_000, reason: 'per_day' };
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          changes: [
            { keyId: a!, cooldowns: [cooldown], inUsageRow: true },
            { keyId: b!, cooldowns: [cooldown] },
          ],
        },
        T0 + 5,
      );
      const byId = new Map((await storage.keys.loadKeys()).map((k) => [k.id, k]));
      expect(byId.get(a!)).toMatchObject({ cooldowns: [cooldown], updatedAt: T0 });
      expect(byId.get(b!)).toMatchObject({ cooldowns: [cooldown], updatedAt: T0 + 5 });
      expect((await storage.keys.loadChangesSince(T0 + 5)).keys.map((k) => k.id)).toEqual([b]);
    });
  });

  describe('runMaintenance', () => {
    it('clears ended cooldowns, ends temporary auto-disables and resets old error counts', async () => {
      const { storage } = fx();
      const now = T0 + 1_000_000;
      const resetMs = 60_000;
      const [cooling, tempAuto, permAuto, manual, oldErr, newErr, quiet] = await seedKeys(storage, 7, T0);
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          counters: [
            counter(oldErr!, { lastError: { text: 'old', at: now - resetMs - 1 } }),
            counter(newErr!, { lastError: { text: 'new', at: now - resetMs + 1 } }),
          ],
          changes: [
            {
              keyId: cooling!,
              cooldowns: [
                { model: 'ended', until: now, reason: 'per_minute' },
                { model: 'running', until: now + 1, reason: 'per_minute' },
              ],
            },
            {
              keyId: tempAuto!,
              disabled: { by: 'auto', reason: 'TOO_MANY_ERRORS', until: now - 5 },
              consecutiveErrors: 5,
            },
            { keyId: permAuto!, disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } },
            { keyId: manual!, disabled: { by: 'manual', reason: 'manual', until: null } },
            { keyId: oldErr!, consecutiveErrors: 2 },
            { keyId: newErr!, consecutiveErrors: 2 },
          ],
        },
        T0 + 1,
      );

      expect(await storage.keys.runMaintenance(now, resetMs)).toEqual({
        cooldownsCleared: 1,
        keysReenabled: 1,
        errorCountsReset: 1,
      });
      const byId = new Map((await storage.keys.loadKeys()).map((k) => [k.id, k]));
      expect(byId.get(cooling!)).toMatchObject({
        cooldowns: [{ model: 'running', until: now + 1 }],
        updatedAt: now,
      });
      expect(byId.get(tempAuto!)).toMatchObject({ disabled: null, consecutiveErrors: 0, updatedAt: now });
      expect(byId.get(permAuto!)).toMatchObject({
        disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null },
        updatedAt: T0 + 1,
      });
      expect(byId.get(manual!)).toMatchObject({ disabled: { by: 'manual' }, updatedAt: T0 + 1 });
      expect(byId.get(oldErr!)).toMatchObject({ consecutiveErrors: 0, updatedAt: now });
      expect(byId.get(newErr!)).toMatchObject({ consecutiveErrors: 2, updatedAt: T0 + 1 });
      expect(byId.get(quiet!)).toMatchObject({ updatedAt: T0 });

      const changed = await storage.keys.loadChangesSince(now);
      expect(changed.keys.map((k) => k.id).sort((x, y) => x - y)).toEqual([cooling, tempAuto, oldErr]);
      expect(await storage.keys.runMaintenance(now, resetMs)).toEqual({
        cooldownsCleared: 0,
        keysReenabled: 0,
        errorCountsReset: 0,
      });
    });
  });
}
