/** `ConfigStore` over the seed's `pool_config` table. */
import type { ConfigStore } from '../../core/ports.js';
import type { SqlDriver } from './driver.js';
import { multiRowStatements } from './sql-util.js';

export class SqlConfigStore implements ConfigStore {
  constructor(private readonly driver: SqlDriver) {}

  async getConfigValues(): Promise<Record<string, string>> {
    const rows = await this.driver.all<{ key: string; value: string }>('SELECT key, value FROM pool_config');
    return Object.fromEntries(rows.map((r) => [r.key, String(r.value)]));
  }

  async setConfigValues(entries: Array<{ key: string; value: string; description: string }>): Promise<void> {
    const statements = multiRowStatements(
      this.driver,
      entries.map((e) => [e.key, e.value, e.description]),
      3,
      (values) =>
        `INSERT INTO pool_config (key, value, description) VALUES ${values} ` +
        'ON CONFLICT(key) DO UPDATE SET value = excluded.value, description = excluded.description',
    );
    if (statements.length > 0) await this.driver.batch(statements);
  }
}
