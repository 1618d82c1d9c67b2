/** KeyStore: adding, loading, incremental changes, admin edits, deletes. */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/crypto.js';
import { maskKey } from '../../src/core/keys/mask.js';
import { freshKeyState } from '../../src/core/pool/make-key.js';
import { type MakeStorage, T0, emptyBatch, seedKeys, testKey, useFixture } from './fixture.js';

export function keyContract(make: MakeStorage): void {
  const fx = useFixture(make);

  describe('addKeys / loadKeys', () => {
    it('adds keys with their fields and loads them back in plaintext', async () => {
      const { storage } = fx();
      const result = await storage.keys.addKeys(
        [{ apiKey: testKey(1), email: 'a@gmail.com', project: 'p1' }, { apiKey: testKey(2) }],
        T0,
      );
      expect(result).toEqual({ added: 2, duplicates: 0 });
      const keys = await storage.keys.loadKeys();
      expect(keys).toHaveLength(2);
      const [a, b] = keys;
      expect(a).toMatchObject({
        apiKey: testKey(1),
        email: 'a@gmail.com',
        project: 'p1',
        ...freshKeyState(T0),
      });
      expect(b).toMatchObject({ apiKey: testKey(2), email: null, project: null });
      expect(b!.id).toBeGreaterThan(a!.id);
    });

    it('counts keys already stored and repeats within the input as duplicates', async () => {
      const { storage } = fx();
      await storage.keys.addKeys([{ apiKey: testKey(1) }, { apiKey: testKey(2) }], T0);
      const result = await storage.keys.addKeys(
        [
          { apiKey: testKey(1), email: 'changed@gmail.com' },
          { apiKey: testKey(3) },
          { apiKey: testKey(3) },
          { apiKey: testKey(2) },
        ],
        T0 + 1,
      );
      expect(result).toEqual({ added: 1, duplicates: 3 });
      const keys = await storage.keys.loadKeys();
      expect(keys.map((k) => k.apiKey)).toEqual([testKey(1), testKey(2), testKey(3)]);
      // The stored duplicate is left unchanged.
      expect(keys[0]).toMatchObject({ email: null, updatedAt: T0 });
    });

    it('imports 1,000 keys in chunks and dedupes a second import of them', async () => {
      const { storage } = fx();
      const keys = Array.from({ length: 1000 }, (_, i) => ({ apiKey: testKey(i), email: `u${i}@gmail.com` }));
      expect(await storage.keys.addKeys(keys, T0)).toEqual({ added: 1000, duplicates: 0 });
      const loaded = await storage.keys.loadKeys();
      expect(loaded).toHaveLength(1000);
      expect(new Set(loaded.map((k) => k.apiKey)).size).toBe(1000);
      expect(loaded.find((k) => k.apiKey === testKey(999))?.email).toBe('u999@gmail.com');
      const again = [...keys.slice(500), { apiKey: testKey(1000) }];
      expect(await storage.keys.addKeys(again, T0)).toEqual({ added: 1, duplicates: 500 });
      expect(await storage.keys.loadKeys()).toHaveLength(1001);
    });

    it('stores the SHA-256 hash and a masked hint; the raw column is plaintext only without encryption', async (ctx) => {
      const f = fx();
      if (!f.sql) return ctx.skip();
      await f.storage.keys.addKeys([{ apiKey: testKey(7) }], T0);
      const [row] = await f.sql('SELECT api_key, key_hash, key_hint, is_active FROM api_keys');
      expect(row!.key_hash).toBe(await sha256Hex(testKey(7)));
      expect(row!.key_hint).toBe(maskKey(testKey(7)));
      expect(Number(row!.is_active)).toBe(1);
      if (f.encrypted) expect(String(row!.api_key)).not.toContain(testKey(7));
      else expect(row!.api_key).toBe(testKey(7));
    });
  });

  describe('loadChangesSince', () => {
    it('returns keys updated at or after `since`, with their cooldowns, and deleted ids', async () => {
      const { storage } = fx();
      const [a, b, c] = await seedKeys(storage, 3, T0);
      await storage.keys.updateKey(b!, { email: 'b@gmail.com' }, T0 + 10);
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          changes: [{ keyId: c!, cooldowns: [{ model: 'm', until: T0 + 60_000, reason: 'per_minute' }] }],
        },
        T0 + 20,
      );
      const before = Date.now() - 1000;
      await storage.keys.deleteKeys([a!]);

      const changes = await storage.keys.loadChangesSince(T0 + 10);
      expect(changes.keys.map((k) => k.id)).toEqual([b, c]);
      expect(changes.keys[1]!.cooldowns).toEqual([{ model: 'm', until: T0 + 60_000, reason: 'per_minute' }]);
      expect(changes.deletedIds).toEqual([a]);

      const later = await storage.keys.loadChangesSince(T0 + 11);
      expect(later.keys.map((k) => k.id)).toEqual([c]);
      expect((await storage.keys.loadChangesSince(before)).deletedIds).toEqual([a]);
      expect(await storage.keys.loadChangesSince(Date.now() + 60_000)).toEqual({ keys: [], deletedIds: [] });
    });

    it('does not report counter-only updates', async () => {
      const { storage } = fx();
      const [a] = await seedKeys(storage, 1, T0);
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          counters: [
            {
              keyId: a!,
              requests: 1,
              errors: 0,
              tokens: { prompt: 1, completion: 1, total: 2 },
              lastUsedAt: T0 + 5,
            },
          ],
        },
        T0 + 5,
      );
      expect((await storage.keys.loadChangesSince(T0 + 1)).keys).toEqual([]);
    });
  });

  describe('updateKey', () => {
    it('disables manually, then enabling clears the disable and the consecutive error count', async () => {
      const f = fx();
      const { storage } = f;
      const [a] = await seedKeys(storage, 1, T0);
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          changes: [
            {
              keyId: a!,
              consecutiveErrors: 4,
              disabled: { by: 'auto', reason: 'TOO_MANY_ERRORS', until: T0 + 1e6 },
            },
          ],
        },
        T0 + 1,
      );
      const disabled = await storage.keys.updateKey(a!, { isActive: false }, T0 + 2);
      expect(disabled).toMatchObject({
        id: a,
        disabled: { by: 'manual', reason: 'manual', until: null },
        updatedAt: T0 + 2,
      });
      if (f.sql)
        expect((await f.sql('SELECT is_active FROM api_keys WHERE id = ?', [a]))[0]).toEqual({
          is_active: 0,
        });

      const enabled = await storage.keys.updateKey(a!, { isActive: true }, T0 + 3);
      expect(enabled).toMatchObject({ disabled: null, consecutiveErrors: 0, updatedAt: T0 + 3 });
      if (f.sql)
        expect((await f.sql('SELECT is_active FROM api_keys WHERE id = ?', [a]))[0]).toEqual({
          is_active: 1,
        });
      expect((await storage.keys.loadKeys())[0]).toMatchObject({ disabled: null, consecutiveErrors: 0 });
    });

    it('edits email and project, leaves other fields, and returns null for a missing key', async () => {
      const { storage } = fx();
      const [a] = await seedKeys(storage, 1, T0);
      const edited = await storage.keys.updateKey(a!, { email: 'x@gmail.com', project: '123' }, T0 + 1);
      expect(edited).toMatchObject({
        email: 'x@gmail.com',
        project: '123',
        disabled: null,
        apiKey: testKey(0),
      });
      expect(await storage.keys.updateKey(a!, { email: null }, T0 + 2)).toMatchObject({
        email: null,
        project: '123',
      });
      expect(await storage.keys.updateKey(a! + 1000, { isActive: true }, T0)).toBeNull();
    });
  });

  describe('key groups', () => {
    it('sets a group at import, by edit and in bulk, loads it, and shows it to an incremental refresh', async () => {
      const { storage } = fx();
      await storage.keys.addKeys(
        [{ apiKey: testKey(1), group: 'team-a' }, { apiKey: testKey(2) }, { apiKey: testKey(3) }],
        T0,
      );
      const ids = (await storage.keys.loadKeys()).map((k) => k.id);
      expect((await storage.keys.loadKeys()).map((k) => k.group)).toEqual(['team-a', null, null]);
      // A duplicate keeps its group.
      await storage.keys.addKeys([{ apiKey: testKey(1), group: 'other' }], T0);
      expect((await storage.keys.updateKey(ids[1]!, { group: 'team-b' }, T0 + 10))?.group).toBe('team-b');
      expect(await storage.keys.setKeysGroup([ids[0]!, ids[2]!, 99_999], 'team-b', T0 + 20)).toEqual([
        ids[0],
        ids[2],
      ]);
      const changed = await storage.keys.loadChangesSince(T0 + 20);
      expect(changed.keys.map((k) => [k.id, k.group])).toEqual([
        [ids[0], 'team-b'],
        [ids[2], 'team-b'],
      ]);
      expect(await storage.keys.setKeysGroup([ids[0]!], null, T0 + 30)).toEqual([ids[0]]);
      expect((await storage.keys.loadKeys()).map((k) => k.group)).toEqual([null, 'team-b', 'team-b']);
      await storage.keys.deleteKeys([ids[1]!]);
      expect((await storage.keys.loadKeys()).map((k) => k.group)).toEqual([null, 'team-b']);
    });
  });

  describe('setKeysActive', () => {
    it('disables and enables many keys by hand, chunked, and returns only the ids that exist', async () => {
      const f = fx();
      const { storage } = f;
      const ids = await seedKeys(storage, 250, T0);
      await storage.keys.applyBatch(
        { ...emptyBatch(), changes: [{ keyId: ids[0]!, consecutiveErrors: 3 }] },
        T0 + 1,
      );
      const disabled = await storage.keys.setKeysActive([...ids, 99_999], false, T0 + 2);
      expect(disabled.sort((x, y) => x - y)).toEqual(ids);
      for (const key of await storage.keys.loadKeys()) {
        expect(key).toMatchObject({
          disabled: { by: 'manual', reason: 'manual', until: null },
          updatedAt: T0 + 2,
        });
      }
      if (f.sql) {
        expect(await f.sql('SELECT COUNT(*) AS n FROM api_keys WHERE is_active = 0', [])).toEqual([
          { n: 250 },
        ]);
      }
      const enabled = await storage.keys.setKeysActive(ids.slice(0, 2), true, T0 + 3);
      expect(enabled.sort((x, y) => x - y)).toEqual(ids.slice(0, 2));
      const [first, second, third] = await storage.keys.loadKeys();
      expect(first).toMatchObject({ disabled: null, consecutiveErrors: 0, updatedAt: T0 + 3 });
      expect(second).toMatchObject({ disabled: null });
      expect(third).toMatchObject({ disabled: { by: 'manual' } });
    });
  });

  describe('deleteKeys / resetErrors', () => {
    it('deletes existing keys only, with their cooldowns', async () => {
      const f = fx();
      const [a, b, c] = await seedKeys(f.storage, 3, T0);
      await f.storage.keys.applyBatch(
        {
          ...emptyBatch(),
          changes: [{ keyId: a!, cooldowns: [{ model: 'm', until: T0 + 1e6, reason: 'default' }] }],
        },
        T0,
      );
      expect(await f.storage.keys.deleteKeys([a!, b!, a!, 99_999])).toBe(2);
      expect((await f.storage.keys.loadKeys()).map((k) => k.id)).toEqual([c]);
      if (f.sql) expect(await f.sql('SELECT * FROM key_cooldowns')).toEqual([]);
      expect(await f.storage.keys.deleteKeys([])).toBe(0);
    });

    it('deletes more ids than one statement can bind', async () => {
      const { storage } = fx();
      const ids = await seedKeys(storage, 250, T0);
      expect(await storage.keys.deleteKeys(ids.slice(0, 240))).toBe(240);
      expect(await storage.keys.loadKeys()).toHaveLength(10);
    });

    it('resets consecutive and total error counts of existing keys', async () => {
      const { storage } = fx();
      const [a, b] = await seedKeys(storage, 2, T0);
      await storage.keys.applyBatch(
        {
          ...emptyBatch(),
          counters: [a!, b!].map((keyId) => ({
            keyId,
            requests: 3,
            errors: 2,
            tokens: { prompt: 0, completion: 0, total: 0 },
            lastUsedAt: T0,
          })),
          changes: [a!, b!].map((keyId) => ({ keyId, consecutiveErrors: 2 })),
        },
        T0,
      );
      expect(await storage.keys.resetErrors([a!, 99_999], T0 + 5)).toBe(1);
      const [ka, kb] = await storage.keys.loadKeys();
      expect(ka).toMatchObject({ consecutiveErrors: 0, errorCount: 0, totalRequests: 3, updatedAt: T0 + 5 });
      expect(kb).toMatchObject({ consecutiveErrors: 2, errorCount: 2 });
    });
  });

  describe('reencryptKeys', () => {
    it('encrypts rows stored in plaintext when a cipher is set, and is idempotent', async (ctx) => {
      const f = fx();
      if (!f.sql) return ctx.skip();
      await seedKeys(f.storage, 2, T0);
      const plain = testKey(100);
      await f.sql(
        'INSERT INTO api_keys (api_key, key_hash, key_hint, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        [plain, await sha256Hex(plain), 'AIza...QQQQ', T0, T0],
      );
      expect(await f.storage.keys.reencryptKeys()).toBe(f.encrypted ? 1 : 0);
      expect(await f.storage.keys.reencryptKeys()).toBe(0);
      const raw = await f.sql('SELECT api_key FROM api_keys WHERE key_hash = ?', [await sha256Hex(plain)]);
      expect(raw[0]!.api_key === plain).toBe(!f.encrypted);
      expect((await f.storage.keys.loadKeys()).map((k) => k.apiKey)).toEqual([testKey(0), testKey(1), plain]);
      expect(await f.storage.keys.addKeys([{ apiKey: plain }], T0)).toEqual({ added: 0, duplicates: 1 });
    });
  });
}
