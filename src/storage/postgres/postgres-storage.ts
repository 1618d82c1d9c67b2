/**
 * The PostgreSQL storage (`DATABASE_URL=postgres://…`): migrated at open, the shared SQL stores
 * over a postgres.js pool, and a change feed that tells of other gateways' writes.
 */
import type { KeyCipher, Storage } from '../../core/ports.js';
import { createSqlStorage } from '../sql/sql-storage.js';
import { openPostgresChangeFeed } from './postgres-change-feed.js';
import { checkPostgresUrl, redactDatabaseUrl } from './database-url.js';
import { openPostgresClient } from './postgres-client.js';
import { PostgresDriver } from './postgres-driver.js';
import { applyPostgresMigrations } from './postgres-migrations.js';

export interface PostgresStorageOptions {
  cipher?: KeyCipher;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** A directory of migrations other than `migrations-postgres/` (tests). */
  migrationsDir?: string;
  /** Without a change feed (one-shot tools such as the CLI). */
  changeFeed?: boolean;
}

/** A name for this storage's connections, unique per open: change notices carry it to tell writers apart. */
function writerName(): string {
  return `gkp-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Connects, applies pending migrations and returns the storage, with `changes` and `close()`.
 * Fails with a message naming the database (never its password) when it cannot connect.
 */
export async function openPostgresStorage(url: string, opts: PostgresStorageOptions = {}): Promise<Storage> {
  checkPostgresUrl(url);
  const writer = writerName();
  const sql = openPostgresClient(url, { max: opts.poolSize ?? 10, applicationName: writer });
  try {
    await applyPostgresMigrations(sql, opts.migrationsDir);
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot open the PostgreSQL database ${redactDatabaseUrl(url)}: ${reason}`, {
      cause: err,
    });
  }
  const feed = opts.changeFeed === false ? null : openPostgresChangeFeed(url, writer);
  await feed?.ready;
  const storage = createSqlStorage(new PostgresDriver(sql), opts.cipher ? { cipher: opts.cipher } : {});
  return {
    ...storage,
    ...(feed ? { changes: feed } : {}),
    async close() {
      await feed?.close();
      await sql.end({ timeout: 5 });
    },
  };
}
