/** Opening the gateway's database (and, for key checks, the upstream) from the CLI. */
import { createAesGcmCipher, plainCipher } from '../core/crypto.js';
import type { Storage } from '../core/ports.js';
import { readDatabase, readNodeSettings, type NodeSettings } from '../runtime/node/env.js';
import { openNodeStorage } from '../runtime/node/open-storage.js';
import type { CliIo } from './io.js';

export interface CommandContext {
  io: CliIo;
  /** Print JSON instead of text. */
  json: boolean;
  settings: NodeSettings;
  /** Opens the database (applying pending migrations), runs `work`, and closes it. */
  withStorage<T>(work: (storage: Storage) => Promise<T>): Promise<T>;
}

/**
 * Settings from the environment, with `--db` (a SQLite path, or a URL as `DATABASE_URL` takes)
 * taking precedence over `DATABASE_URL` and `DATABASE_PATH`.
 */
export function commandContext(io: CliIo, opts: { json: boolean; db: string | undefined }): CommandContext {
  const settings = readNodeSettings(io.env);
  if (opts.db) {
    const url = /^(sqlite|postgres|postgresql):/i.test(opts.db) ? opts.db : `sqlite:${opts.db}`;
    Object.assign(settings, readDatabase({ DATABASE_URL: url }));
  }
  return {
    io,
    json: opts.json,
    settings,
    async withStorage(work) {
      const cipher = settings.encryptionKey ? await createAesGcmCipher(settings.encryptionKey) : plainCipher;
      const database = await openNodeStorage(settings, { cipher, changeFeed: false });
      try {
        return await work(database.storage);
      } finally {
        await database.close();
      }
    },
  };
}
