/**
 * Migration 0004 moves a database built by the earlier migrations, with rows in it, to the usage
 * table without AUTOINCREMENT or indexes: every row and id kept, new ids continuing after them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { MIGRATIONS_DIR, applyMigrations, readMigrations } from '../../src/storage/sqlite/migrations.js';
import { createSqlStorage } from '../../src/storage/sql/sql-storage.js';
import { SqliteDriver } from '../../src/storage/sqlite/sqlite-driver.js';
import { T0, counter, emptyBatch, testKey, usage } from '../contract/fixture.js';

const HOUR_MS = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'gkp-0004-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A directory with the migrations before 0004 only. */
function migrationsBefore0004(): string {
  const before = join(dir, 'before');
  mkdirSync(before, { recursive: true });
  for (const m of readMigrations().filter((m) => parseInt(m.name, 10) < 4)) {
    copyFileSync(join(MIGRATIONS_DIR, m.name), join(before, m.name));
  }
  return before;
}

it('keeps every usage row and id, drops the usage indexes and sequence, and continues the ids', async () => {
  const db = new Database(join(dir, 'pool.sqlite'));
  expect(applyMigrations(db, migrationsBefore0004())).toEqual([
    '0001_init.sql',
    '0002_ops.sql',
    '0003_config_version.sql',
  ]);
  const storage = createSqlStorage(new SqliteDriver(db));
  // Keys are added by hand: today's key store also reads tables that later migrations add.
  const addKey = db.prepare(
    'INSERT INTO api_keys (api_key, key_hash, created_at, updated_at) VALUES (?, ?, ?, ?)',
  );
  const [one, two] = [1, 2].map((i) => Number(addKey.run(testKey(i), `hash-${i}`, T0, T0).lastInsertRowid));
  const traffic = Array.from({ length: 30 }, (_, i) =>
    usage({ keyId: i % 3 === 0 ? one! : two!, timestamp: T0 + i * 60_000, status: i % 5 === 0 ? 429 : 200 }),
  );
  await storage.keys.applyBatch({ ...emptyBatch(), usage: traffic, counters: [counter(one!)] }, T0);
  // A gap where rows were deleted: ids are kept as they are, not renumbered.
  db.prepare('DELETE FROM api_key_usage WHERE id BETWEEN 10 AND 12').run();
  await storage.keys.applyBatch(
    {
      ...emptyBatch(),
      changes: [{ keyId: two!, cooldowns: [{ model: 'm', until: T0 + HOUR_MS, reason: 'per_minute' }] }],
    },
    T0,
  );
  const before = db.prepare('SELECT * FROM api_key_usage ORDER BY id').all();
  const cooldowns = db.prepare('SELECT * FROM key_cooldowns').all();
  await storage.usage.rollupUsage(T0 + 2 * HOUR_MS, 24);
  const rollups = [
    db.prepare('SELECT * FROM usage_hourly ORDER BY 1, 2, 3, 4').all(),
    db.prepare('SELECT * FROM usage_hourly_keys ORDER BY 1, 2').all(),
  ];
  expect(rollups[1]!.length).toBeGreaterThan(0);
  expect(cooldowns).toHaveLength(1);
  const keysBefore = db.prepare('SELECT * FROM api_keys ORDER BY id').all();
  expect(db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'api_key_usage'").pluck().get()).toBe(30);

  expect(applyMigrations(db)[0]).toBe('0004_usage_rowid.sql');

  expect(db.prepare('SELECT * FROM api_key_usage ORDER BY id').all()).toEqual(before);
  expect(db.prepare('SELECT * FROM api_keys ORDER BY id').all()).toEqual(keysBefore);
  expect(db.prepare('SELECT * FROM key_cooldowns').all()).toEqual(cooldowns);
  expect([
    db.prepare('SELECT * FROM usage_hourly ORDER BY 1, 2, 3, 4').all(),
    db.prepare('SELECT * FROM usage_hourly_keys ORDER BY 1, 2').all(),
  ]).toEqual(rollups);
  expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'key_cooldowns'").pluck().get()).toMatch(
    /WITHOUT ROWID/,
  );
  const table = db
    .prepare("SELECT sql FROM sqlite_master WHERE name = 'api_key_usage'")
    .pluck()
    .get() as string;
  expect(table).not.toMatch(/AUTOINCREMENT/i);
  expect(
    db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'api_key_usage' AND type = 'index'").all(),
  ).toEqual([]);
  expect(db.prepare("SELECT count(*) FROM sqlite_sequence WHERE name = 'api_key_usage'").pluck().get()).toBe(
    0,
  );
  expect(
    db.prepare("SELECT name FROM sqlite_master WHERE name = 'idx_usage_hourly_keys_key'").pluck().get(),
  ).toBe('idx_usage_hourly_keys_key');

  await storage.keys.applyBatch(
    { ...emptyBatch(), usage: [usage({ keyId: one!, timestamp: T0 + HOUR_MS })] },
    T0,
  );
  expect(db.prepare('SELECT max(id) FROM api_key_usage').pluck().get()).toBe(31);
  expect(await storage.usage.listUsage({ limit: 3, keyId: one! })).toHaveLength(3);
  // The rebuilt trigger still clears a deleted key's cooldowns.
  await storage.keys.deleteKeys([two!]);
  expect(db.prepare('SELECT count(*) FROM key_cooldowns').pluck().get()).toBe(0);
  db.close();
});
