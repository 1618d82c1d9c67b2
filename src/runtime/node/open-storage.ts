/** The Node runtime's database: PostgreSQL when `DATABASE_URL` names one, else the SQLite file. */
import type { KeyCipher, Storage } from '../../core/ports.js';
import { openPostgresStorage } from '../../storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../../storage/sqlite/sqlite-storage.js';
import { SettingsError, type NodeSettings } from './env.js';

export interface NodeStorage {
  storage: Storage;
  /** Which database, for logs: `sqlite` or `postgres`. */
  kind: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

/**
 * Opens and migrates the configured database. A PostgreSQL server that cannot be reached (or
 * refuses the credentials) is a `SettingsError` naming the URL without its password.
 */
export async function openNodeStorage(
  settings: Pick<NodeSettings, 'databasePath' | 'databaseUrl'>,
  opts: { cipher: KeyCipher; changeFeed?: boolean },
): Promise<NodeStorage> {
  if (settings.databaseUrl) {
    let storage: Storage;
    try {
      storage = await openPostgresStorage(settings.databaseUrl, opts);
    } catch (err) {
      throw new SettingsError((err as Error).message, { cause: err });
    }
    return { storage, kind: 'postgres', close: () => storage.close?.() ?? Promise.resolve() };
  }
  const sqlite = openSqliteStorage(settings.databasePath, { cipher: opts.cipher });
  return { storage: sqlite.storage, kind: 'sqlite', close: async () => sqlite.close() };
}
