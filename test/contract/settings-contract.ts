/** ConfigStore, TokenStore, MetaStore and ping. */
import { describe, expect, it } from 'vitest';
import { OPEN_RULES } from '../../src/core/access-tokens.js';
import { type MakeStorage, T0, useFixture } from './fixture.js';

export function settingsContract(make: MakeStorage): void {
  const fx = useFixture(make);

  describe('config', () => {
    it('upserts values and descriptions', async () => {
      const { storage } = fx();
      expect(await storage.config.getConfigValues()).toEqual({});
      await storage.config.setConfigValues([
        { key: 'max_retries', value: '3', description: 'retries' },
        { key: 'rotation_strategy', value: 'round_robin', description: 'strategy' },
      ]);
      await storage.config.setConfigValues([{ key: 'max_retries', value: '5', description: 'retries v2' }]);
      await storage.config.setConfigValues([]);
      expect(await storage.config.getConfigValues()).toEqual({
        max_retries: '5',
        rotation_strategy: 'round_robin',
      });
    });

    it('writes many entries at once', async () => {
      const f = fx();
      const entries = Array.from({ length: 120 }, (_, i) => ({
        key: `k${i}`,
        value: String(i),
        description: '',
      }));
      await f.storage.config.setConfigValues(entries);
      const values = await f.storage.config.getConfigValues();
      expect(Object.keys(values)).toHaveLength(120);
      expect(values.k119).toBe('119');
      if (f.sql) {
        await f.storage.config.setConfigValues([{ key: 'k1', value: 'x', description: 'described' }]);
        expect(await f.sql("SELECT * FROM pool_config WHERE key = 'k1'")).toEqual([
          { key: 'k1', value: 'x', description: 'described' },
        ]);
      }
    });
  });

  describe('tokens', () => {
    it('creates, lists, finds and revokes tokens', async () => {
      const { storage } = fx();
      const a = await storage.tokens.createToken(
        { name: 'laptop', hash: 'hash-a', hint: 'gkp_…aaaa', source: 'api' },
        T0,
      );
      expect(a).toEqual({
        id: expect.any(Number),
        name: 'laptop',
        hint: 'gkp_…aaaa',
        source: 'api',
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
        ...OPEN_RULES,
      });
      const b = await storage.tokens.createToken(
        { name: 'env', hash: 'hash-b', hint: 'gkp_…bbbb', source: 'env' },
        T0 + 1,
      );
      expect(b.source).toBe('env');

      // Same hash: the existing token comes back unchanged.
      const again = await storage.tokens.createToken(
        { name: 'other', hash: 'hash-a', hint: 'x', source: 'env' },
        T0 + 2,
      );
      expect(again).toEqual(a);
      expect((await storage.tokens.listTokens()).map((t) => t.name)).toEqual(['laptop', 'env']);

      expect(await storage.tokens.findTokenByHash('hash-a')).toEqual(a);
      expect(await storage.tokens.findTokenByHash('nope')).toBeNull();

      expect(await storage.tokens.revokeToken(a.id, T0 + 3)).toBe(true);
      expect(await storage.tokens.revokeToken(a.id, T0 + 4)).toBe(false);
      expect(await storage.tokens.revokeToken(99_999, T0 + 4)).toBe(false);
      expect(await storage.tokens.findTokenByHash('hash-a')).toBeNull();
      expect(await storage.tokens.findTokenByHash('hash-b')).toEqual(b);
      expect((await storage.tokens.listTokens())[0]).toMatchObject({ id: a.id, revokedAt: T0 + 3 });
    });
  });

  describe('token rules', () => {
    it('creates a token with rules, changes some of them, and leaves the others', async () => {
      const { storage } = fx();
      const rules = {
        models: ['gemini-2.5-flash*', 'gemini-embedding-001'],
        rpm: 60,
        rpd: null,
        tpm: 1000,
        tpd: 50_000,
        expiresAt: T0 + 86_400_000,
        keyGroup: 'team-a',
        enabled: true,
      };
      const t = await storage.tokens.createToken(
        { name: 'class', hash: 'hash-r', hint: 'h', source: 'api', rules },
        T0,
      );
      expect(t).toMatchObject(rules);
      const changed = await storage.tokens.updateToken(t.id, { rpm: null, enabled: false, models: [] });
      expect(changed).toMatchObject({ ...rules, rpm: null, enabled: false, models: [] });
      expect(await storage.tokens.findTokenByHash('hash-r')).toEqual(changed);
      // A token that had no rules row gets one on its first change.
      const plain = await storage.tokens.createToken(
        { name: 'p', hash: 'hash-p', hint: 'h', source: 'api' },
        T0,
      );
      expect(await storage.tokens.updateToken(plain.id, { keyGroup: '*' })).toMatchObject({
        ...OPEN_RULES,
        keyGroup: '*',
      });
      await storage.tokens.revokeToken(plain.id, T0 + 1);
      expect(await storage.tokens.updateToken(plain.id, { rpm: 5 })).toBeNull();
      expect(await storage.tokens.updateToken(99_999, { rpm: 5 })).toBeNull();
    });
  });

  describe('meta and ping', () => {
    it('gets and overwrites meta values', async () => {
      const { storage } = fx();
      expect(await storage.meta.getMeta('admin_token_hash')).toBeNull();
      await storage.meta.setMeta('admin_token_hash', 'one');
      await storage.meta.setMeta('admin_token_hash', 'two');
      await storage.meta.setMeta('other', '');
      expect(await storage.meta.getMeta('admin_token_hash')).toBe('two');
      expect(await storage.meta.getMeta('other')).toBe('');
    });

    it('answers ping', async () => {
      expect(await fx().storage.ping()).toBe(true);
    });
  });
}
