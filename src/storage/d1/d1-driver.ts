/** `SqlDriver` over a D1 binding. Runs in workerd: no Node imports here. */
import type { D1Database } from '@cloudflare/workers-types';
import type { SqlDriver, SqlStatement } from '../sql/driver.js';
import { SQLITE_DIALECT } from '../sql/sql-dialect.js';

export class D1Driver implements SqlDriver {
  /** D1 binds at most 100 parameters per statement. */
  readonly maxParams = 100;
  /** D1 is SQLite. */
  readonly dialect = SQLITE_DIALECT;

  constructor(private readonly db: D1Database) {}

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (
      await this.db
        .prepare(sql)
        .bind(...params)
        .all<T>()
    ).results;
  }

  async first<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | null> {
    return this.db
      .prepare(sql)
      .bind(...params)
      .first<T>();
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return {
      changes: (
        await this.db
          .prepare(sql)
          .bind(...params)
          .run()
      ).meta.changes,
    };
  }

  /** One `db.batch`: D1 runs it as a single transaction. */
  async batch(statements: SqlStatement[]): Promise<Array<{ changes: number }>> {
    if (statements.length === 0) return [];
    const results = await this.db.batch(statements.map((s) => this.db.prepare(s.sql).bind(...s.params)));
    return results.map((r) => ({ changes: r.meta.changes }));
  }
}
