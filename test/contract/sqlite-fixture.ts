/** SQLite file fixtures for the storage contracts (Node only). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { KeyCipher } from '../../src/core/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { MakeStorage } from './fixture.js';

/**
 * Makes a temporary directory (named with `prefix`, removed after the test file) and returns a
 * factory of fixtures: each a fresh SQLite file in a subdirectory that does not exist yet, migrated.
 * Call once at the top level of a test file.
 */
export function sqliteFixtures(prefix: string): (cipher?: KeyCipher) => MakeStorage {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  return (cipher) => async () => {
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
