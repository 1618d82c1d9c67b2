/**
 * What differs between the SQL dialects the shared stores run on. The stores are written in
 * SQLite's SQL (also D1's); each difference PostgreSQL needs is one member here, and SQLite's
 * members return exactly the text the stores used before, so SQLite and D1 run unchanged SQL
 * (D1 bills rows by plan, and its plans are tested).
 */
import type { SqlStatement } from './driver.js';

/** The type of a bound parameter where the database cannot infer it from its context. */
export type SqlParamType = 'int' | 'text';

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** A placeholder bound as `type`: `?` in SQLite, `?::bigint`/`?::text` in PostgreSQL (e.g. a lone NULL). */
  param(type: SqlParamType): string;
  /** The 64-bit integer type for `CAST(… AS …)`: SQLite's INTEGER, PostgreSQL's BIGINT (its INTEGER is 32-bit). */
  readonly integer: string;
  /** ` INDEXED BY <index>` after a table name in SQLite; nothing in PostgreSQL (its planner picks). */
  indexedBy(index: string): string;
  /** The larger of two values: SQLite's two-argument `max()`, PostgreSQL's `GREATEST()`. */
  greatest(a: string, b: string): string;
  /**
   * `column IN (…)` over the elements of one bound parameter, a JSON array: one statement and one
   * parameter however many values (D1 binds at most 100).
   */
  inJsonArray(column: string, type: SqlParamType): string;
  /** The alias a `FROM (VALUES …)` subquery needs in PostgreSQL 15 (its columns stay `column1…`). */
  readonly valuesAlias: string;
  /**
   * Statements that serialize, until the end of the transaction, the writers of each of `keys`
   * (PostgreSQL: advisory locks, taken in a fixed order). SQLite needs none: a write transaction
   * already holds the database's one write lock.
   */
  lockStatements(keys: readonly string[]): SqlStatement[];
}

export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  param: () => '?',
  integer: 'INTEGER',
  indexedBy: (index) => ` INDEXED BY ${index}`,
  greatest: (a, b) => `max(${a}, ${b})`,
  inJsonArray: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  valuesAlias: '',
  lockStatements: () => [],
};

/** The first key of PostgreSQL advisory locks the stores take on rows' subjects. */
export const ROW_LOCK_CLASS = 7_161_001;

export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  param: (type) => (type === 'int' ? '?::bigint' : '?::text'),
  integer: 'BIGINT',
  indexedBy: () => '',
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  inJsonArray: (column, type) =>
    type === 'int'
      ? `${column} IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb))`
      : `${column} IN (SELECT value FROM jsonb_array_elements_text(?::jsonb))`,
  valuesAlias: ' AS v',
  lockStatements: (keys) =>
    [...new Set(keys)].sort().map((key) => ({
      sql: `SELECT pg_advisory_xact_lock(${ROW_LOCK_CLASS}, hashtext(?))`,
      params: [key],
    })),
};
