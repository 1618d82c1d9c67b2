/**
 * Copies a gateway's SQLite database into a PostgreSQL one (`gemini-key-pool migrate-db`): every
 * table and row, ids kept, in one PostgreSQL transaction, so the target ends either as a full copy
 * or as it was. Both schemas must be migrated first; the target's identities are then moved past
 * the largest copied id, so new rows do not collide.
 */
import type Database from 'better-sqlite3';
import type { Sql, TransactionSql } from 'postgres';

/** Tables that record which migrations ran: each database keeps its own. */
const BOOKKEEPING = new Set(['d1_migrations', 'schema_migrations']);

/**
 * Rows the migrations themselves insert; a target holding only these is empty. pool_meta is copied
 * after pool_config, whose triggers bump `config_version` in it.
 */
const SEEDED = new Map([['pool_meta', new Set(['config_version'])]]);
const COPIED_LAST = 'pool_meta';

/** Rows per INSERT (PostgreSQL allows 65,535 parameters per statement). */
const ROWS_PER_INSERT = 1000;
const MAX_PARAMS = 65_000;

export interface TableCopy {
  table: string;
  rows: number;
}

/** The target already holds data and `force` was not given: nothing was changed. */
export class TargetNotEmptyError extends Error {
  constructor(readonly tables: TableCopy[]) {
    super(
      `the target database is not empty (${tables.map((t) => `${t.table}: ${t.rows}`).join(', ')}); ` +
        'use --force to replace its contents',
    );
  }
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function sqliteTables(db: Database.Database): string[] {
  const rows = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>;
  return rows.map((r) => r.name).filter((name) => !BOOKKEEPING.has(name));
}

function sqliteColumns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>).map(
    (c) => c.name,
  );
}

/** Column name → data type of each table of the target's current schema. */
async function postgresColumns(tx: TransactionSql): Promise<Map<string, Map<string, string>>> {
  const rows = await tx.unsafe<Array<{ table_name: string; column_name: string; data_type: string }>>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema()`,
  );
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const columns = out.get(r.table_name) ?? new Map<string, string>();
    columns.set(r.column_name, r.data_type);
    out.set(r.table_name, columns);
  }
  return out;
}

/** Rows the target holds beyond what its migrations seeded, per table that has any. */
async function targetRows(tx: TransactionSql, tables: string[]): Promise<TableCopy[]> {
  const held: TableCopy[] = [];
  for (const table of tables) {
    const seeded = [...(SEEDED.get(table) ?? [])];
    const where = seeded.length ? ` WHERE key NOT IN (${seeded.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const [row] = await tx.unsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ${quote(table)}${where}`,
      seeded,
    );
    if (row && row.n > 0) held.push({ table, rows: row.n });
  }
  return held;
}

/** SQLite's REAL in an integer column (it keeps what it cannot store as an integer) is rounded. */
function converter(types: string[]): (row: unknown[]) => unknown[] {
  const integer = types.map((t) => t === 'bigint' || t === 'integer' || t === 'smallint');
  return (row) =>
    row.map((v, i) => (integer[i] && typeof v === 'number' && !Number.isInteger(v) ? Math.round(v) : v));
}

async function copyTable(
  db: Database.Database,
  tx: TransactionSql,
  table: string,
  target: Map<string, string>,
): Promise<number> {
  const columns = sqliteColumns(db, table);
  const missing = columns.filter((c) => !target.has(c));
  if (missing.length) {
    throw new Error(
      `the target's ${table} has no column ${missing.join(', ')}: its schema is older than the source's`,
    );
  }
  const convert = converter(columns.map((c) => target.get(c)!));
  const perInsert = Math.max(1, Math.min(ROWS_PER_INSERT, Math.floor(MAX_PARAMS / columns.length)));
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES `;
  const select = db.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)}`).raw(true);
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const tuples = batch.map(
      (_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
    );
    await tx.unsafe(head + tuples.join(', '), batch.flat() as never[]);
    copied += batch.length;
    batch = [];
  };
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    batch.push(convert(row));
    if (batch.length >= perInsert) await flush();
  }
  await flush();
  return copied;
}

/** Moves every identity column's sequence past the largest id its table holds. */
async function advanceIdentities(tx: TransactionSql): Promise<void> {
  const identities = await tx.unsafe<Array<{ table_name: string; column_name: string }>>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`,
  );
  for (const { table_name: table, column_name: column } of identities) {
    await tx.unsafe(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE(max(${quote(column)}), 0), 1), max(${quote(column)}) IS NOT NULL)
       FROM ${quote(table)}`,
      [quote(table), column],
    );
  }
}

export interface CopyOptions {
  /** Replace whatever the target holds. Without it a target with data is refused. */
  force: boolean;
}

/**
 * Copies every table of `db` (migrated) into the database `sql` is connected to (migrated), in one
 * transaction. Returns the rows copied per table, in copy order. Throws `TargetNotEmptyError`
 * when the target holds data and `force` is off, and an error naming the table when the target
 * lacks a table or column the source has.
 */
export async function copySqliteToPostgres(
  db: Database.Database,
  sql: Sql,
  opts: CopyOptions,
): Promise<TableCopy[]> {
  const tables = sqliteTables(db);
  const ordered = [...tables.filter((t) => t !== COPIED_LAST), ...tables.filter((t) => t === COPIED_LAST)];
  const result = await sql.begin(async (tx) => {
    const schema = await postgresColumns(tx);
    const absent = tables.filter((t) => !schema.has(t));
    if (absent.length) {
      throw new Error(`the target has no table ${absent.join(', ')}: its schema is older than the source's`);
    }
    const targetTables = [...schema.keys()].filter((t) => !BOOKKEEPING.has(t)).sort();
    const held = await targetRows(tx, targetTables);
    if (held.length && !opts.force) throw new TargetNotEmptyError(held);
    // TRUNCATE fires no row triggers: a delete trigger would write tombstones and change notices.
    await tx.unsafe(`TRUNCATE ${targetTables.map(quote).join(', ')}`);
    const copies: TableCopy[] = [];
    for (const table of ordered) {
      if (table === COPIED_LAST) await tx.unsafe(`DELETE FROM ${quote(table)}`);
      copies.push({ table, rows: await copyTable(db, tx, table, schema.get(table)!) });
    }
    await advanceIdentities(tx);
    return copies;
  });
  return result as unknown as TableCopy[];
}
