import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataVersion, openSqliteDatabase } from './open-database.js';
import { SqliteDriver } from './sqlite-driver.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gkp-sqlite-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openSqliteDatabase', () => {
  it('creates the parent directory and sets WAL, synchronous, busy timeout and foreign keys', () => {
    const path = join(dir, 'nested', 'deeper', 'pool.sqlite');
    const db = openSqliteDatabase(path);
    expect(existsSync(path)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it("dataVersion changes when another connection commits, not on the connection's own writes", () => {
    const path = join(dir, 'pool.sqlite');
    const server = openSqliteDatabase(path);
    const cli = openSqliteDatabase(path);
    server.exec('CREATE TABLE t (a INTEGER)');
    const v1 = dataVersion(server);
    server.exec('INSERT INTO t VALUES (1)');
    expect(dataVersion(server)).toBe(v1);
    cli.exec('INSERT INTO t VALUES (2)');
    expect(dataVersion(server)).not.toBe(v1);
    server.close();
    cli.close();
  });
});

describe('SqliteDriver', () => {
  it('runs all, first and run, and reports changes', async () => {
    const driver = new SqliteDriver(openSqliteDatabase(join(dir, 'd.sqlite')));
    await driver.run('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
    expect(await driver.run('INSERT INTO t (b) VALUES (?), (?)', ['x', 'y'])).toEqual({ changes: 2 });
    expect(await driver.all('SELECT b FROM t ORDER BY a')).toEqual([{ b: 'x' }, { b: 'y' }]);
    expect(await driver.first('SELECT b FROM t WHERE b = ?', ['y'])).toEqual({ b: 'y' });
    expect(await driver.first('SELECT b FROM t WHERE b = ?', ['z'])).toBeNull();
  });

  it('runs a batch in one transaction: a failing statement rolls back the earlier ones', async () => {
    const driver = new SqliteDriver(openSqliteDatabase(join(dir, 'd.sqlite')));
    await driver.run('CREATE TABLE t (a INTEGER UNIQUE)');
    const ok = await driver.batch([
      { sql: 'INSERT INTO t VALUES (?)', params: [1] },
      { sql: 'UPDATE t SET a = a + ? WHERE a = ?', params: [1, 1] },
    ]);
    expect(ok).toEqual([{ changes: 1 }, { changes: 1 }]);
    await expect(
      driver.batch([
        { sql: 'INSERT INTO t VALUES (?)', params: [5] },
        { sql: 'INSERT INTO t VALUES (?)', params: [2] },
      ]),
    ).rejects.toThrow(/UNIQUE/);
    expect(await driver.all('SELECT a FROM t')).toEqual([{ a: 2 }]);
  });

  it('keeps working past its statement cache size', async () => {
    const driver = new SqliteDriver(openSqliteDatabase(join(dir, 'd.sqlite')));
    await driver.run('CREATE TABLE t (a INTEGER)');
    for (let n = 1; n <= 300; n++) {
      await driver.run(
        `INSERT INTO t VALUES ${Array.from({ length: n }, () => '(?)').join(', ')}`,
        Array(n).fill(n),
      );
    }
    expect(await driver.first('SELECT count(*) AS c, sum(a) AS s FROM t')).toEqual({ c: 45150, s: 9045050 });
  });
});
