/**
 * The one interface the SQL storage is written against. Every statement the storage runs is
 * SQLite SQL with `?` placeholders, so the same text runs on better-sqlite3 and on D1; where
 * PostgreSQL differs, the stores ask the driver's `dialect`.
 */
import type { SqlDialect } from './sql-dialect.js';

export interface SqlStatement {
  sql: string;
  params: unknown[];
}

export interface SqlDriver {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  first<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | null>;
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /** Runs all statements atomically: one transaction (SQLite) or one db.batch (D1). */
  batch(statements: SqlStatement[]): Promise<Array<{ changes: number }>>;
  /** Max bound parameters per statement (D1: 100). Multi-row statements are chunked to fit. */
  readonly maxParams: number;
  /** The SQL differences the stores must respect on this database. */
  readonly dialect: SqlDialect;
}
