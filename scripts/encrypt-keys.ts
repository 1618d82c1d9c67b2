/**
 * `npm run encrypt-keys`: encrypts, with ENCRYPTION_KEY, every API key still stored in plaintext in
 * the Node gateway's SQLite file (DATABASE_PATH, default ./data/pool.sqlite). Idempotent: keys
 * already encrypted are left as they are, so running it twice changes nothing the second time.
 *
 * Stop the gateway first. After rewriting the rows the file is vacuumed and the WAL truncated,
 * so no page still holds a plaintext key. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { existsSync } from 'node:fs';
import { createAesGcmCipher } from '../src/core/crypto.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

const USAGE = 'usage: ENCRYPTION_KEY=<secret> [DATABASE_PATH=./data/pool.sqlite] npm run encrypt-keys';

async function main(): Promise<number> {
  const secret = process.env.ENCRYPTION_KEY;
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
    // Overwritten and freed cells are zeroed, not left behind with the plaintext in them.
    sqlite.db.pragma('secure_delete = ON');
    const total = (sqlite.db.prepare('SELECT COUNT(*) AS n FROM api_keys').get() as { n: number }).n;
    // Every row is decrypted before any is written: a wrong secret fails here and changes nothing.
    const encrypted = await sqlite.storage.keys.reencryptKeys();
    if (encrypted > 0) {
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
      `encrypt-keys: ${encrypted} key(s) encrypted, ${total - encrypted} already encrypted, in ${path}.` +
        (encrypted > 0 ? ' Start the gateway with the same ENCRYPTION_KEY from now on.' : ''),
    );
    return 0;
  } catch (err) {
    // The cipher's messages never carry the secret or a stored value. A wrong secret fails before
    // any write; any other failure leaves whole batches, and a rerun finishes the job.
    console.error(`encrypt-keys: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    sqlite.close();
  }
}

process.exitCode = await main();
