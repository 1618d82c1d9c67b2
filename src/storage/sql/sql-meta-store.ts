/** `MetaStore` over `pool_meta`. */
import type { MetaStore } from '../../core/ports.js';
import type { SqlDriver } from './driver.js';

/** A lease is stored as `<until, 15 digits>:<holder>`, so its end compares as text in any SQL dialect. */
const UNTIL_DIGITS = 15;
const untilText = (t: number) => String(Math.max(0, Math.trunc(t))).padStart(UNTIL_DIGITS, '0');

/** Plain `INSERT … ON CONFLICT … DO UPDATE … WHERE`, which SQLite, D1 and PostgreSQL all run as written. */
const LEASE_SQL =
  'INSERT INTO pool_meta (key, value) VALUES (?, ?) ' +
  'ON CONFLICT(key) DO UPDATE SET value = excluded.value ' +
  `WHERE substr(pool_meta.value, 1, ${UNTIL_DIGITS}) <= ? OR substr(pool_meta.value, ${UNTIL_DIGITS + 2}) = ?`;

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

  async tryLease(name: string, holder: string, until: number, now: number): Promise<boolean> {
    const { changes } = await this.driver.run(LEASE_SQL, [
      `lease:${name}`,
      `${untilText(until)}:${holder}`,
      untilText(now),
      holder,
    ]);
    return changes > 0;
  }
}
