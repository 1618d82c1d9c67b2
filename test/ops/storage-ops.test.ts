/** The ops storage contract against the SQLite file storage (D1 runs the same suite in workerd). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { opsStorageContract } from './storage-ops-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-ops-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

opsStorageContract('sqlite file', async () => {
  const opened = openSqliteStorage(join(dir, `db-${++files}`, 'pool.sqlite'));
  return {
    storage: opened.storage,
    sql: async (query, params = []) => {
      const stmt = opened.db.prepare(query);
      return stmt.reader
        ? (stmt.all(...params) as Array<Record<string, unknown>>)
        : (stmt.run(...params), []);
    },
    close: async () => opened.close(),
  };
});
