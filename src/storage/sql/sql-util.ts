/** Small helpers for building chunked, parameterised SQL. */
import type { SqlDriver, SqlStatement } from './driver.js';
import type { SqlDialect } from './sql-dialect.js';

/** Splits `items` into slices of at most `size` (at least 1). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const step = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += step) out.push(items.slice(i, i + step));
  return out;
}

/** `?, ?, ?` with `n` placeholders. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * Rows per multi-row statement at most. Full chunks then share one SQL text, which the driver's
 * statement cache keeps prepared; a chunk as large as SQLite's bind limit allows would be a new
 * statement of thousands of parameters to prepare on nearly every flush.
 */
const MAX_ROWS_PER_STATEMENT = 64;

/**
 * Builds one statement per chunk of `rows`, each with as many rows as the driver's bind limit
 * allows, up to `MAX_ROWS_PER_STATEMENT`. `build` receives the `(?, …), (?, …)` list for the chunk
 * and returns the statement.
 */
export function multiRowStatements(
  driver: SqlDriver,
  rows: unknown[][],
  columns: number,
  build: (values: string) => string,
): SqlStatement[] {
  const group = `(${placeholders(columns)})`;
  const perStatement = Math.min(MAX_ROWS_PER_STATEMENT, driver.maxParams / columns);
  return chunk(rows, perStatement).map((slice) => ({
    sql: build(slice.map(() => group).join(', ')),
    params: slice.flat(),
  }));
}

/**
 * `column IN (…)` over any number of ids as one statement with one bound parameter: the ids as a
 * JSON array (SQLite reads it with `json_each`). A bulk change then stays one atomic statement,
 * within D1's 100-bind limit and its per-invocation query count, however many keys it touches.
 */
export function idsIn(
  dialect: SqlDialect,
  column: string,
  ids: readonly number[],
): { sql: string; param: string } {
  return { sql: dialect.inJsonArray(column, 'int'), param: JSON.stringify([...new Set(ids)]) };
}

/** Statements that need not be atomic together are sent in batches of this many, to keep each round trip small. */
const NON_ATOMIC_BATCH = 100;

/** Runs statements in several batches; returns the summed `changes`. For idempotent work only. */
export async function runInBatches(driver: SqlDriver, statements: SqlStatement[]): Promise<number> {
  let changes = 0;
  for (const slice of chunk(statements, NON_ATOMIC_BATCH)) {
    for (const result of await driver.batch(slice)) changes += result.changes;
  }
  return changes;
}

/** `a = ?, b = ?` and its params, from a column → value record. */
export function setClause(values: Record<string, unknown>): { sql: string; params: unknown[] } {
  const columns = Object.keys(values);
  return { sql: columns.map((c) => `${c} = ?`).join(', '), params: columns.map((c) => values[c]) };
}
