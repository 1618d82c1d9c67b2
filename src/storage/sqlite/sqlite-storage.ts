/** The Node runtime's storage: a SQLite file, migrated, behind the shared SQL storage. */
import type Database from 'better-sqlite3';
import type { KeyCipher, Storage } from '../../core/ports.js';
import { createSqlStorage } from '../sql/sql-storage.js';
import { applyMigrations } from './migrations.js';
import { openSqliteDatabase } from './open-database.js';
import { SqliteDriver } from './sqlite-driver.js';

export interface SqliteStorage {
  storage: Storage;
  /** The open connection, e.g. for `dataVersion(db)`. */
  db: Database.Database;
  close(): void;
}

/** Opens `path`, applies pending migrations and returns the storage over it. */
export function openSqliteStorage(
  path: string,
  opts: { cipher?: KeyCipher; migrationsDir?: string } = {},
): SqliteStorage {
  const db = openSqliteDatabase(path);
  applyMigrations(db, opts.migrationsDir);
  const storage = createSqlStorage(new SqliteDriver(db), opts.cipher ? { cipher: opts.cipher } : {});
  return { storage, db, close: () => db.close() };
}
