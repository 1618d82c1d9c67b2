/** `SqlDriver` over better-sqlite3: synchronous calls wrapped in promises, statements cached. */
import type Database from 'better-sqlite3';
import type { SqlDriver, SqlStatement } from '../sql/driver.js';
import { SQLITE_DIALECT } from '../sql/sql-dialect.js';

/** Statements with chunked `VALUES`/`IN` lists vary in text, so the cache is bounded. */
const CACHE_LIMIT = 256;

export class SqliteDriver implements SqlDriver {
  /** SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32. */
  readonly maxParams = 32766;
  readonly dialect = SQLITE_DIALECT;
  private readonly cache = new Map<string, Database.Statement>();
  private readonly runBatch: (statements: SqlStatement[]) => Array<{ changes: number }>;

  constructor(private readonly db: Database.Database) {
    this.runBatch = db.transaction((list: SqlStatement[]) =>
      list.map((s) => ({ changes: this.statement(s.sql).run(...s.params).changes })),
    );
  }

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.statement(sql).all(...params) as T[];
  }

  async first<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | null> {
    return (this.statement(sql).get(...params) as T | undefined) ?? null;
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: this.statement(sql).run(...params).changes };
  }

  async batch(statements: SqlStatement[]): Promise<Array<{ changes: number }>> {
    return this.runBatch(statements);
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.cache.get(sql);
    if (stmt) {
      // Re-insert so the map's order is least recently used first.
      this.cache.delete(sql);
    } else {
      stmt = this.db.prepare(sql);
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(sql, stmt);
    return stmt;
  }
}
