/** Opening the SQLite file the Node runtime, the CLI and the admin API share. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opens (creating it and its directory if needed) a SQLite database tuned for one writer process
 * plus occasional CLI writers: WAL, `synchronous=NORMAL`, a busy timeout, and foreign keys on.
 */
export function openSqliteDatabase(path: string): Database.Database {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * `PRAGMA data_version`: changes whenever another connection commits to the file, so a running
 * gateway can tell cheaply when the CLI or another process changed something.
 */
export function dataVersion(db: Database.Database): number {
  return Number(db.pragma('data_version', { simple: true }));
}
