/**
 * Applies `migrations-postgres/NNNN_*.sql` (PostgreSQL's own schema history; wrangler and D1 read
 * only `migrations/`), recording each in `schema_migrations`. Gateways starting at once take turns
 * through an advisory lock, so each file runs once.
 */
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { type Migration, readMigrations } from '../sqlite/migrations.js';

/** The repository's `migrations-postgres/` directory. */
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../../migrations-postgres/', import.meta.url),
);

/** The key of the advisory lock held while migrations are checked and applied. */
export const MIGRATION_LOCK_KEY = 7_161_000;

export const POSTGRES_MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())';

/** The PostgreSQL migrations, in the order they apply. */
export function readPostgresMigrations(dir: string = POSTGRES_MIGRATIONS_DIR): Migration[] {
  return readMigrations(dir);
}

/** Applies every migration not yet recorded, in one transaction under the lock. Returns the names applied. */
export async function applyPostgresMigrations(
  sql: Sql,
  dir: string = POSTGRES_MIGRATIONS_DIR,
): Promise<string[]> {
  const migrations = readPostgresMigrations(dir);
  const applied = await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.unsafe(POSTGRES_MIGRATIONS_TABLE_SQL);
    const done = new Set((await tx.unsafe('SELECT name FROM schema_migrations')).map((r) => String(r.name)));
    const names: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await tx.unsafe(m.sql);
      await tx.unsafe('INSERT INTO schema_migrations (name) VALUES ($1)', [m.name]);
      names.push(m.name);
    }
    return names;
  });
  return applied as unknown as string[];
}
