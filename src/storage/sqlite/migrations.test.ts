import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations, readMigrations } from './migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gkp-migrations-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const names = (db: Database.Database) =>
  db.prepare('SELECT name FROM d1_migrations ORDER BY id').pluck().all();

describe('applyMigrations', () => {
  it('applies files in numeric order once, recording them in d1_migrations', () => {
    writeFileSync(join(dir, '0010_second.sql'), 'ALTER TABLE t ADD COLUMN b TEXT;');
    writeFileSync(join(dir, '0002_first.sql'), 'CREATE TABLE t (a INTEGER);');
    writeFileSync(join(dir, 'README.md'), 'not a migration');
    const db = new Database(':memory:');
    expect(applyMigrations(db, dir)).toEqual(['0002_first.sql', '0010_second.sql']);
    expect(applyMigrations(db, dir)).toEqual([]);
    expect(names(db)).toEqual(['0002_first.sql', '0010_second.sql']);

    writeFileSync(join(dir, '0011_third.sql'), "INSERT INTO t (a, b) VALUES (1, 'x');");
    expect(applyMigrations(db, dir)).toEqual(['0011_third.sql']);
    expect(db.prepare('SELECT a, b FROM t').all()).toEqual([{ a: 1, b: 'x' }]);
  });

  it('rolls back a failing migration and records nothing', () => {
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE t (a INTEGER);');
    writeFileSync(join(dir, '0002_bad.sql'), 'INSERT INTO t VALUES (1); INSERT INTO missing VALUES (1);');
    const db = new Database(':memory:');
    expect(() => applyMigrations(db, dir)).toThrow(/missing/);
    expect(
      db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('t', 'd1_migrations')").pluck().get(),
    ).toBe(0);
  });

  it("applies the repository's migrations to a fresh database", () => {
    const db = new Database(':memory:');
    expect(applyMigrations(db)).toEqual(readMigrations().map((m) => m.name));
    expect(names(db)).toContain('0001_init.sql');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(
      expect.arrayContaining(['api_keys', 'api_key_usage', 'pool_config', 'access_tokens']),
    );
  });
});
