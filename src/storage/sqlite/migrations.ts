/**
 * Applies `migrations/NNNN_*.sql` to a SQLite file, recording each in `d1_migrations`: the table
 * wrangler uses for D1, so one history serves both runtimes and a file is applied only once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

/** The repository's `migrations/` directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/** The same table (and columns) `wrangler d1 migrations apply` creates. */
export const D1_MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, ' +
  'applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)';

export interface Migration {
  /** The file name, e.g. `0001_init.sql`, as wrangler records it. */
  name: string;
  sql: string;
}

/** Reads `NNNN_*.sql` files in the order wrangler applies them (by number). */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((name) => /^\d+_.*\.sql$/.test(name))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b))
    .map((name) => ({ name, sql: readFileSync(join(dir, name), 'utf8') }));
}

/**
 * Applies every migration not yet recorded, in one immediate transaction (so two processes
 * starting at once cannot both apply a file). Returns the names applied.
 */
export function applyMigrations(db: Database.Database, dir: string = MIGRATIONS_DIR): string[] {
  const migrations = readMigrations(dir);
  const apply = db.transaction(() => {
    db.exec(D1_MIGRATIONS_TABLE_SQL);
    const done = new Set(db.prepare('SELECT name FROM d1_migrations').pluck().all() as string[]);
    const record = db.prepare('INSERT INTO d1_migrations (name) VALUES (?)');
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      db.exec(m.sql);
      record.run(m.name);
      applied.push(m.name);
    }
    return applied;
  });
  return apply.immediate();
}
