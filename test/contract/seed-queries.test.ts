/** The seed's documented `wrangler d1 execute` queries still answer truthfully after real activity. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { T0, counter, emptyBatch, seedKeys, usage } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("answers the seed's three queries after keys, traffic, a disable and config", async () => {
  const { storage, db, close } = openSqliteStorage(join(dir, 'pool.sqlite'));
  try {
    await storage.keys.addKeys(
      [{ apiKey: 'AIzaSyA-seed-key-one-xxxxxxxxxxxxxxxxxx', email: 'one@gmail.com' }],
      T0,
    );
    const [two, three] = await seedKeys(storage, 2, T0, 50);
    await storage.keys.applyBatch(
      {
        usage: [
          usage({ keyId: 1, endpoint: 'chat.completions' }),
          usage({ keyId: 1, endpoint: 'chat.completions', status: 429, outcome: 'rate-limited' }),
          usage({ keyId: two!, endpoint: 'embeddings' }),
        ],
        counters: [counter(1, { requests: 2, errors: 1 }), counter(two!)],
        changes: [{ keyId: three!, disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } }],
      },
      T0 + 1,
    );
    await storage.keys.updateKey(two!, { isActive: false }, T0 + 2);
    await storage.keys.updateKey(two!, { isActive: true }, T0 + 3);
    await storage.keys.applyBatch({ ...emptyBatch(), counters: [counter(two!)] }, T0 + 4);
    await storage.config.setConfigValues([
      { key: 'rotation_strategy', value: 'least_used', description: 'strategy' },
    ]);

    expect(
      db.prepare('SELECT id, gmail_email, is_active, total_requests, error_count FROM api_keys;').all(),
    ).toEqual([
      { id: 1, gmail_email: 'one@gmail.com', is_active: 1, total_requests: 2, error_count: 1 },
      { id: two, gmail_email: null, is_active: 1, total_requests: 2, error_count: 0 },
      { id: three, gmail_email: null, is_active: 0, total_requests: 0, error_count: 0 },
    ]);
    expect(
      db.prepare('SELECT endpoint, COUNT(*) as count FROM api_key_usage GROUP BY endpoint;').all(),
    ).toEqual([
      { endpoint: 'chat.completions', count: 2 },
      { endpoint: 'embeddings', count: 1 },
    ]);
    expect(db.prepare('SELECT * FROM pool_config;').all()).toEqual([
      { key: 'rotation_strategy', value: 'least_used', description: 'strategy' },
    ]);
  } finally {
    close();
  }
});
