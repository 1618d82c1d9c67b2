/** The seed's documented `wrangler d1 execute` queries still answer truthfully after real activity. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { SEED_QUERIES, runSeedActivity } from './seed-activity.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("answers the seed's three queries after keys, traffic, a disable and config", async () => {
  const { storage, db, close } = openSqliteStorage(join(dir, 'pool.sqlite'));
  try {
    const { two, three } = await runSeedActivity(storage);
    expect(db.prepare(SEED_QUERIES.keys).all()).toEqual([
      { id: 1, gmail_email: 'one@gmail.com', is_active: 1, total_requests: 2, error_count: 1 },
      { id: two, gmail_email: null, is_active: 1, total_requests: 2, error_count: 0 },
      { id: three, gmail_email: null, is_active: 0, total_requests: 0, error_count: 0 },
    ]);
    expect(db.prepare(SEED_QUERIES.usage).all()).toEqual([
      { endpoint: 'chat.completions', count: 2 },
      { endpoint: 'embeddings', count: 1 },
    ]);
    expect(db.prepare(SEED_QUERIES.config).all()).toEqual([
      { key: 'rotation_strategy', value: 'least_used', description: 'strategy' },
    ]);
  } finally {
    close();
  }
});
