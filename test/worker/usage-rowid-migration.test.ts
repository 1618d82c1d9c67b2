/**
 * Migration 0004 on D1 (which runs a migration's statements in one transaction): a database built
 * by the earlier migrations, with usage rows and a cooldown in it, keeps every row and id, and then
 * bills one row written per usage row and per cooldown.
 */
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';

const db = env.MIGRATION_DB;
const COLUMNS =
  'api_key_id, endpoint, response_status, tokens_used, request_timestamp, model, outcome, attempt';

it('moves a populated D1 to the usage table without AUTOINCREMENT or indexes', async () => {
  const earlier = env.TEST_MIGRATIONS.filter((m) => parseInt(m.name, 10) < 4);
  expect(earlier.map((m) => m.name)).toEqual(['0001_init.sql', '0002_ops.sql', '0003_config_version.sql']);
  await applyD1Migrations(db, earlier);
  await db
    .prepare("INSERT INTO api_keys (api_key, key_hash, key_hint) VALUES ('AIza-one', 'hash-one', 'one')")
    .run();
  const insert = db.prepare(
    `INSERT INTO api_key_usage (${COLUMNS}) VALUES (1, 'chat.completions', ?, 10, ?, 'gemini-2.5-flash', 'ok', 1)`,
  );
  await db.batch(Array.from({ length: 20 }, (_, i) => insert.bind(i % 4 === 0 ? 429 : 200, 1_000_000 + i)));
  await db.prepare('DELETE FROM api_key_usage WHERE id IN (5, 6)').run();
  const before = (await db.prepare('SELECT * FROM api_key_usage ORDER BY id').all()).results;
  // Before: a usage row costs the row, two index entries and the AUTOINCREMENT counter.
  const old = await insert.bind(200, 2_000_000).run();
  expect(old.meta.rows_written).toBe(4);
  await db.prepare('DELETE FROM api_key_usage WHERE id = 21').run();
  const cooldown = db.prepare(
    "INSERT INTO key_cooldowns (api_key_id, model, until_ms, reason) VALUES (1, ?, 5, 'per_minute')",
  );
  expect((await cooldown.bind('gemini-2.5-flash').run()).meta.rows_written).toBe(2);

  await applyD1Migrations(db, env.TEST_MIGRATIONS);

  const applied = (await db.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>())
    .results;
  expect(applied.map((r) => r.name)).toContain('0004_usage_rowid.sql');
  expect((await db.prepare('SELECT * FROM api_key_usage ORDER BY id').all()).results).toEqual(before);
  const indexes = await db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'api_key_usage'")
    .all();
  expect(indexes.results).toEqual([]);
  const after = await insert.bind(200, 3_000_000).run();
  expect(after.meta.rows_written).toBe(1);
  expect(after.meta.last_row_id).toBe(21);
  expect((await db.prepare('SELECT model FROM key_cooldowns').all()).results).toEqual([
    { model: 'gemini-2.5-flash' },
  ]);
  expect((await cooldown.bind('gemini-2.5-pro').run()).meta.rows_written).toBe(1);
  await db.prepare('DELETE FROM api_keys WHERE id = 1').run();
  expect((await db.prepare('SELECT * FROM key_cooldowns').all()).results).toEqual([]);
});
