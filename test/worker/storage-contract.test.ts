/** The shared storage contracts (main and ops), run inside workerd against a real (local) D1 through `D1Driver`. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createAesGcmCipher } from '../../src/core/crypto.js';
import type { KeyCipher } from '../../src/core/ports.js';
import { D1Driver } from '../../src/storage/d1/d1-driver.js';
import { createSqlStorage } from '../../src/storage/sql/sql-storage.js';
import type { StorageFixture } from '../contract/storage-contract.js';
import { runStorageContract } from '../contract/storage-contract.js';
import { opsStorageContract } from '../ops/storage-ops-contract.js';
import { countingD1, type D1Call } from './counting-d1.js';

/** D1 storage is per test file, so each test starts by emptying every table (children first). */
const WIPE = [
  'DELETE FROM api_keys',
  'DELETE FROM key_cooldowns',
  'DELETE FROM key_tombstones',
  'DELETE FROM api_key_usage',
  'DELETE FROM usage_hourly',
  'DELETE FROM usage_hourly_keys',
  'DELETE FROM local_limit_counts',
  'DELETE FROM resource_owners',
  'DELETE FROM pool_config',
  'DELETE FROM access_tokens',
  'DELETE FROM access_token_rules',
  'DELETE FROM api_key_groups',
  'DELETE FROM pool_meta',
  'DELETE FROM sqlite_sequence',
];

function makeD1(cipher?: KeyCipher): () => Promise<StorageFixture> {
  return async () => {
    await env.LOG.batch(WIPE.map((sql) => env.LOG.prepare(sql)));
    return {
      storage: createSqlStorage(new D1Driver(env.LOG), cipher ? { cipher } : {}),
      encrypted: cipher !== undefined,
      sql: async (query, params = []) =>
        (
          await env.LOG.prepare(query)
            .bind(...params)
            .all<Record<string, unknown>>()
        ).results,
      close: async () => {},
    };
  };
}

runStorageContract('d1', makeD1());
runStorageContract('d1, AES-GCM', makeD1(await createAesGcmCipher('contract-test-secret')));
opsStorageContract('d1', makeD1());

describe('d1 rows read', () => {
  it('a merged list reads the ownership rows of its own kind only', async () => {
    await env.LOG.prepare('DELETE FROM resource_owners').run();
    const calls: D1Call[] = [];
    const { resources } = createSqlStorage(new D1Driver(countingD1(env.LOG, (call) => calls.push(call))));
    const owner = (name: string, keyId: number) => ({
      name,
      keyId,
      project: null,
      accessTokenId: null,
      upstream: null,
      createdAt: 1,
      expiresAt: null,
    });
    for (let i = 0; i < 40; i++) await resources.recordOwner(owner(`cachedContents/c${i}`, 1));
    await resources.recordOwner(owner('files/a', 3));
    await resources.recordOwner(owner('files/b', 2));
    calls.length = 0;
    expect(await resources.ownerKeyIds('files/', 2)).toEqual([2, 3]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.rowsRead).toBeLessThan(10);
  });
});
