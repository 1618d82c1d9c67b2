/** `MetaStore` over `pool_meta`. */
import type { MetaStore } from '../../core/ports.js';
import type { SqlDriver } from './driver.js';

export class SqlMetaStore implements MetaStore {
  constructor(private readonly driver: SqlDriver) {}

  async getMeta(key: string): Promise<string | null> {
    const row = await this.driver.first<{ value: string }>('SELECT value FROM pool_meta WHERE key = ?', [
      key,
    ]);
    return row ? String(row.value) : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.driver.run(
      'INSERT INTO pool_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }
}
