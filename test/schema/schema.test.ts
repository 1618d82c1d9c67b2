import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, renderSchema } from '../../scripts/build-schema.js';
import { applyMigrations, readMigrations } from '../../src/storage/sqlite/migrations.js';

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

function describeSchema(db: Database.Database): { master: MasterRow[]; migrations: string[] } {
  const master = (
    db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all() as MasterRow[]
  ).map((r) => ({ ...r, sql: r.sql === null ? null : r.sql.replace(/\s+/g, ' ').trim() }));
  const migrations = db.prepare('SELECT name FROM d1_migrations ORDER BY id').pluck().all() as string[];
  return { master, migrations };
}

describe('sql/schema.sql', () => {
  it('builds exactly the schema the migrations build, and records the same migrations', () => {
    const migrated = new Database(':memory:');
    const applied = applyMigrations(migrated);
    const fromFile = new Database(':memory:');
    fromFile.exec(readFileSync(SCHEMA_PATH, 'utf8'));

    const expected = describeSchema(migrated);
    expect(applied).toEqual(readMigrations().map((m) => m.name));
    expect(expected.master.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'api_keys',
        'api_key_usage',
        'pool_config',
        'key_cooldowns',
        'd1_migrations',
        'api_keys_after_delete',
      ]),
    );
    expect(describeSchema(fromFile)).toEqual(expected);
  });

  it('can be run twice, and migrations then have nothing left to apply', () => {
    const db = new Database(':memory:');
    const text = readFileSync(SCHEMA_PATH, 'utf8');
    db.exec(text);
    db.exec(text);
    expect(applyMigrations(db)).toEqual([]);
    expect(describeSchema(db).migrations).toEqual(readMigrations().map((m) => m.name));
  });

  it('is up to date with scripts/build-schema.ts (run `npx tsx scripts/build-schema.ts`)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(renderSchema(readMigrations()));
  });
});
