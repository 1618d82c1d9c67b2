import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createAesGcmCipher } from '../../src/core/crypto.js';
import type { KeyCipher } from '../../src/core/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { StorageFixture } from './fixture.js';
import { runStorageContract } from './storage-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;

/** A fresh SQLite file (in a subdirectory that does not exist yet), migrated. */
function makeSqlite(cipher?: KeyCipher): () => Promise<StorageFixture> {
  return async () => {
    const opened = openSqliteStorage(join(dir, `db-${++files}`, 'pool.sqlite'), cipher ? { cipher } : {});
    return {
      storage: opened.storage,
      encrypted: cipher !== undefined,
      sql: async (query, params = []) => {
        const stmt = opened.db.prepare(query);
        return stmt.reader
          ? (stmt.all(...params) as Array<Record<string, unknown>>)
          : (stmt.run(...params), []);
      },
      close: async () => opened.close(),
    };
  };
}

runStorageContract('sqlite file', makeSqlite());
runStorageContract('sqlite file, AES-GCM', makeSqlite(await createAesGcmCipher('contract-test-secret')));
