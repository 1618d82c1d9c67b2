/** The one SQL implementation of `Storage`, shared by the SQLite and D1 drivers. */
import { plainCipher } from '../../core/crypto.js';
import type { KeyCipher, Storage } from '../../core/ports.js';
import type { SqlDriver } from './driver.js';
import { SqlConfigStore } from './sql-config-store.js';
import { SqlKeyStore } from './sql-key-store.js';
import { SqlLimitStore } from './sql-limit-store.js';
import { SqlMetaStore } from './sql-meta-store.js';
import { SqlResourceStore } from './sql-resource-store.js';
import { SqlTokenStore } from './sql-token-store.js';
import { SqlUsageStore } from './sql-usage-store.js';

/** Builds every store over one driver. Without `cipher`, keys are stored in plaintext. */
export function createSqlStorage(driver: SqlDriver, opts: { cipher?: KeyCipher } = {}): Storage {
  return {
    keys: new SqlKeyStore(driver, opts.cipher ?? plainCipher),
    usage: new SqlUsageStore(driver),
    limits: new SqlLimitStore(driver),
    config: new SqlConfigStore(driver),
    tokens: new SqlTokenStore(driver),
    meta: new SqlMetaStore(driver),
    resources: new SqlResourceStore(driver),
    async ping() {
      try {
        return (await driver.first<{ ok: number }>('SELECT 1 AS ok'))?.ok === 1;
      } catch {
        return false;
      }
    },
  };
}
