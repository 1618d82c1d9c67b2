/** Opening the gateway's SQLite database (and, for key checks, the upstream) from the CLI. */
import { createAesGcmCipher, plainCipher } from '../core/crypto.js';
import type { Storage } from '../core/ports.js';
import { readNodeSettings, type NodeSettings } from '../runtime/node/env.js';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import type { CliIo } from './io.js';

export interface CommandContext {
  io: CliIo;
  /** Print JSON instead of text. */
  json: boolean;
  settings: NodeSettings;
  /** Opens the database (applying pending migrations), runs `work`, and closes it. */
  withStorage<T>(work: (storage: Storage) => Promise<T>): Promise<T>;
}

/** Settings from the environment, with `--db` taking precedence over `DATABASE_PATH`. */
export function commandContext(io: CliIo, opts: { json: boolean; db: string | undefined }): CommandContext {
  const settings = readNodeSettings(io.env);
  if (opts.db) settings.databasePath = opts.db;
  return {
    io,
    json: opts.json,
    settings,
    async withStorage(work) {
      const cipher = settings.encryptionKey ? await createAesGcmCipher(settings.encryptionKey) : plainCipher;
      const sqlite = openSqliteStorage(settings.databasePath, { cipher });
      try {
        return await work(sqlite.storage);
      } finally {
        sqlite.close();
      }
    },
  };
}
