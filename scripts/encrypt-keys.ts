/**
 * `npm run encrypt-keys`: encrypts, with ENCRYPTION_KEY, every API key still stored in plaintext in
 * the Node gateway's SQLite file (DATABASE_PATH, default ./data/pool.sqlite). With
 * OLD_ENCRYPTION_KEY set as well, it re-encrypts keys from the old secret to the new one (rotation).
 * Idempotent: keys already under ENCRYPTION_KEY are left as they are.
 *
 * Stop the gateway first. Every row is decrypted and checked against its `key_hash` before any is
 * written, so a wrong secret changes nothing. Afterwards the file is vacuumed and the WAL truncated,
 * so no page still holds a plaintext key or an old ciphertext. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { createAesGcmCipher, sha256Hex } from '../src/core/crypto.js';
import type { KeyCipher } from '../src/core/ports.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

const USAGE =
  'usage: ENCRYPTION_KEY=<secret> [OLD_ENCRYPTION_KEY=<previous secret>] [DATABASE_PATH=./data/pool.sqlite] npm run encrypt-keys';

/** Moves every key to `next`: rows under `next` stay, plaintext or `old` rows are re-encrypted. */
async function rotate(db: Database.Database, old: KeyCipher, next: KeyCipher): Promise<number> {
  const rows = db.prepare('SELECT id, api_key, key_hash FROM api_keys ORDER BY id').all() as Array<{
    id: number;
    api_key: string;
    key_hash: string;
  }>;
  const updates: Array<{ id: number; stored: string; previous: string }> = [];
  for (const row of rows) {
    const current = await next.decrypt(row.api_key).catch(() => null);
    if (current !== null && current !== row.api_key) continue;
    const plain = await old.decrypt(row.api_key);
    if ((await sha256Hex(plain)) !== row.key_hash) {
      throw new Error(`key ${row.id} does not decrypt to its recorded hash`);
    }
    updates.push({ id: row.id, stored: await next.encrypt(plain), previous: row.api_key });
  }
  const update = db.prepare('UPDATE api_keys SET api_key = ? WHERE id = ? AND api_key = ?');
  db.transaction(() => {
    for (const u of updates) update.run(u.stored, u.id, u.previous);
  })();
  return updates.length;
}

async function main(): Promise<number> {
  const secret = process.env.ENCRYPTION_KEY;
  const oldSecret = process.env.OLD_ENCRYPTION_KEY;
  const path = process.env.DATABASE_PATH?.trim() || './data/pool.sqlite';
  if (!secret?.trim()) {
    console.error(`encrypt-keys: ENCRYPTION_KEY is not set.\n${USAGE}`);
    return 2;
  }
  if (!existsSync(path)) {
    console.error(`encrypt-keys: no database at ${path}.\n${USAGE}`);
    return 2;
  }
  const cipher = await createAesGcmCipher(secret);
  const sqlite = openSqliteStorage(path, { cipher });
  try {
    // Overwritten and freed cells are zeroed, not left behind with the old value in them.
    sqlite.db.pragma('secure_delete = ON');
    const total = (sqlite.db.prepare('SELECT COUNT(*) AS n FROM api_keys').get() as { n: number }).n;
    const changed = oldSecret?.trim()
      ? await rotate(sqlite.db, await createAesGcmCipher(oldSecret), cipher)
      : await sqlite.storage.keys.reencryptKeys();
    if (changed > 0) {
      sqlite.db.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.db.exec('VACUUM');
      const [checkpoint] = sqlite.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      if (checkpoint?.busy) {
        console.warn(
          'encrypt-keys: another process has the database open; stop it so the WAL can be cleared.',
        );
      }
    }
    console.log(
      `encrypt-keys: ${changed} key(s) encrypted, ${total - changed} already encrypted, in ${path}.` +
        (changed > 0 ? ' Start the gateway with the same ENCRYPTION_KEY from now on.' : ''),
    );
    return 0;
  } catch (err) {
    // The cipher's messages never carry a secret or a stored value. Nothing is written before
    // every row has been decrypted, so a wrong secret changes nothing.
    console.error(`encrypt-keys: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    sqlite.close();
  }
}

process.exitCode = await main();
