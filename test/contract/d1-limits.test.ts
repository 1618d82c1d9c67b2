/**
 * The contract again over SQLite, with a driver that behaves like D1 where it matters to the SQL:
 * at most 100 bound parameters and 100 KB per statement, and `changes` counted like miniflare's
 * D1 (the `total_changes()` delta, which includes rows changed by triggers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import type { SqlDriver, SqlStatement } from '../../src/storage/sql/driver.js';
import { SQLITE_DIALECT } from '../../src/storage/sql/sql-dialect.js';
import { createSqlStorage } from '../../src/storage/sql/sql-storage.js';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { openSqliteDatabase } from '../../src/storage/sqlite/open-database.js';
import { SqliteDriver } from '../../src/storage/sqlite/sqlite-driver.js';
import { runStorageContract } from './storage-contract.js';

class D1LikeDriver implements SqlDriver {
  readonly maxParams = 100;
  readonly dialect = SQLITE_DIALECT;
  private readonly inner: SqliteDriver;

  constructor(private readonly db: Database.Database) {
    this.inner = new SqliteDriver(db);
  }

  private check(sql: string, params: unknown[]): void {
    if (params.length > 100) throw new Error(`D1 binds at most 100 parameters, got ${params.length}`);
    if (new TextEncoder().encode(sql).length > 100_000) throw new Error('D1 statements are at most 100 KB');
    if (params.some((p) => p === undefined)) throw new Error('D1 cannot bind undefined');
    if (params.some((p) => typeof p === 'string' && new TextEncoder().encode(p).length > 2_000_000)) {
      throw new Error('D1 binds strings of at most 2 MB');
    }
  }

  private totalChanges(): number {
    return Number(this.db.prepare('SELECT total_changes()').pluck().get());
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.check(sql, params);
    return this.inner.all<T>(sql, params);
  }

  first<T>(sql: string, params: unknown[] = []): Promise<T | null> {
    this.check(sql, params);
    return this.inner.first<T>(sql, params);
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    this.check(sql, params);
    const before = this.totalChanges();
    await this.inner.run(sql, params);
    return { changes: this.totalChanges() - before };
  }

  async batch(statements: SqlStatement[]): Promise<Array<{ changes: number }>> {
    for (const s of statements) this.check(s.sql, s.params);
    const runAll = this.db.transaction(() =>
      statements.map((s) => {
        const before = this.totalChanges();
        this.db.prepare(s.sql).run(...s.params);
        return { changes: this.totalChanges() - before };
      }),
    );
    return runAll();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'gkp-d1-like-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

runStorageContract('sqlite with D1 limits', async () => {
  const db = openSqliteDatabase(join(dir, `${++files}.sqlite`));
  applyMigrations(db);
  return {
    storage: createSqlStorage(new D1LikeDriver(db)),
    sql: async (query, params = []) => {
      const stmt = db.prepare(query);
      return stmt.reader
        ? (stmt.all(...params) as Array<Record<string, unknown>>)
        : (stmt.run(...params), []);
    },
    close: async () => {
      db.close();
    },
  };
});
