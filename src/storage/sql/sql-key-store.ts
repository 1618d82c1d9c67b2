/** `KeyStore` over `api_keys`, `key_cooldowns` and `key_tombstones`. */
import { sha256Hex } from '../../core/crypto.js';
import { maskKey } from '../../core/keys/mask.js';
import type { AddKeysResult, KeyChanges, KeyCipher, KeyStore, MaintenanceResult } from '../../core/ports.js';
import type { KeyPatch, NewKey, PoolKey, WriteBatch } from '../../core/types.js';
import type { SqlDriver, SqlStatement } from './driver.js';
import { type CooldownRow, type KeyRow, KEY_SELECT, disableColumns, toPoolKeys } from './key-rows.js';
import type { SqlDialect } from './sql-dialect.js';
import { batchStatements, maintenanceStatements } from './sql-key-writes.js';
import { idsIn, multiRowStatements, runInBatches, setClause } from './sql-util.js';

const INSERT_KEY_COLUMNS = 'api_key, key_hash, key_hint, gmail_email, project, created_at, updated_at';

export class SqlKeyStore implements KeyStore {
  constructor(
    private readonly driver: SqlDriver,
    private readonly cipher: KeyCipher,
  ) {}

  async loadKeys(): Promise<PoolKey[]> {
    const rows = await this.driver.all<KeyRow>(`${KEY_SELECT} ORDER BY api_keys.id`);
    const cooldowns = await this.driver.all<CooldownRow>('SELECT * FROM key_cooldowns');
    return toPoolKeys(rows, cooldowns, this.cipher);
  }

  async loadChangesSince(since: number): Promise<KeyChanges> {
    // INDEXED BY: without it SQLite prefers scanning the table in id order, reading every key (D1 bills rows read).
    const byUpdatedAt = `api_keys${this.driver.dialect.indexedBy('idx_api_keys_updated_at')}`;
    const rows = await this.driver.all<KeyRow>(
      `SELECT api_keys.*, g.key_group AS key_group FROM ${byUpdatedAt} ` +
        'LEFT JOIN api_key_groups g ON g.api_key_id = api_keys.id WHERE updated_at >= ? ORDER BY api_keys.id',
      [since],
    );
    const cooldowns = await this.driver.all<CooldownRow>(
      `SELECT * FROM key_cooldowns WHERE api_key_id IN (SELECT id FROM ${byUpdatedAt} WHERE updated_at >= ?)`,
      [since],
    );
    const tombstones = await this.driver.all<{ id: number }>(
      'SELECT id FROM key_tombstones WHERE deleted_at >= ? ORDER BY id',
      [since],
    );
    return {
      keys: await toPoolKeys(rows, cooldowns, this.cipher),
      deletedIds: tombstones.map((t) => Number(t.id)),
    };
  }

  async addKeys(keys: NewKey[], now: number): Promise<AddKeysResult> {
    const hashes = await Promise.all(keys.map((key) => sha256Hex(key.apiKey)));
    const seen = new Set<string>();
    const fresh = keys.flatMap((key, i) => {
      const hash = hashes[i] as string;
      if (seen.has(hash)) return [];
      seen.add(hash);
      return [{ key, hash }];
    });
    const rows = await Promise.all(
      fresh.map(async ({ key, hash }) => [
        await this.cipher.encrypt(key.apiKey),
        hash,
        maskKey(key.apiKey),
        key.email ?? null,
        key.project ?? null,
        now,
        now,
      ]),
    );
    // A key already stored (or stored in between) hits the key_hash constraint and is skipped.
    const statements = multiRowStatements(
      this.driver,
      rows,
      7,
      (values) =>
        `INSERT INTO api_keys (${INSERT_KEY_COLUMNS}) VALUES ${values} ON CONFLICT(key_hash) DO NOTHING`,
    );
    const added = await runInBatches(this.driver, statements);
    const grouped = fresh.filter(({ key }) => key.group);
    if (grouped.length > 0) {
      // Only keys inserted now take a group: a duplicate is left unchanged.
      await runInBatches(
        this.driver,
        grouped.map(({ key, hash }) => ({
          sql:
            'INSERT INTO api_key_groups (api_key_id, key_group) SELECT id, ? FROM api_keys WHERE key_hash = ? AND created_at = ? ' +
            'ON CONFLICT(api_key_id) DO NOTHING',
          params: [key.group, hash, now],
        })),
      );
    }
    return { added, duplicates: keys.length - added };
  }

  async updateKey(id: number, patch: KeyPatch, now: number): Promise<PoolKey | null> {
    const values: Record<string, unknown> = {};
    if (patch.email !== undefined) values.gmail_email = patch.email;
    if (patch.project !== undefined) values.project = patch.project;
    if (patch.isActive !== undefined) Object.assign(values, activeColumns(patch.isActive));
    values.updated_at = now;
    const set = setClause(values);
    const statements = [{ sql: `UPDATE api_keys SET ${set.sql} WHERE id = ?`, params: [...set.params, id] }];
    if (patch.group !== undefined)
      statements.push(...groupStatements(this.driver.dialect, [id], patch.group));
    const [first] = await this.driver.batch(statements);
    return (first?.changes ?? 0) > 0 ? this.getKey(id) : null;
  }

  async setKeysGroup(ids: number[], group: string | null, now: number): Promise<number[]> {
    // Groups first, then `updated_at`, so a snapshot refresh that sees the bump also sees the group.
    await this.driver.batch(groupStatements(this.driver.dialect, ids, group));
    const where = idsIn(this.driver.dialect, 'id', ids);
    const rows = await this.driver.all<{ id: number }>(
      `UPDATE api_keys SET updated_at = ? WHERE ${where.sql} RETURNING id`,
      [now, where.param],
    );
    return rows.map((row) => Number(row.id));
  }

  async setKeysActive(ids: number[], active: boolean, now: number): Promise<number[]> {
    const set = setClause({ ...activeColumns(active), updated_at: now });
    const where = idsIn(this.driver.dialect, 'id', ids);
    const rows = await this.driver.all<{ id: number }>(
      `UPDATE api_keys SET ${set.sql} WHERE ${where.sql} RETURNING id`,
      [...set.params, where.param],
    );
    return rows.map((row) => Number(row.id));
  }

  async deleteKeys(ids: number[]): Promise<number> {
    // RETURNING counts only the keys: D1 reports `changes` including the delete trigger's rows.
    const where = idsIn(this.driver.dialect, 'id', ids);
    return (await this.driver.all(`DELETE FROM api_keys WHERE ${where.sql} RETURNING id`, [where.param]))
      .length;
  }

  async resetErrors(ids: number[], now: number): Promise<number> {
    const where = idsIn(this.driver.dialect, 'id', ids);
    const rows = await this.driver.all(
      `UPDATE api_keys SET consecutive_errors = 0, error_count = 0, updated_at = ? WHERE ${where.sql} RETURNING id`,
      [now, where.param],
    );
    return rows.length;
  }

  async applyBatch(batch: WriteBatch, now: number): Promise<void> {
    const statements = batchStatements(this.driver, batch, now);
    if (statements.length > 0) await this.driver.batch(statements);
  }

  async runMaintenance(now: number, errorResetMs: number): Promise<MaintenanceResult> {
    const [, cleared, reenabled, reset] = await this.driver.batch(maintenanceStatements(now, errorResetMs));
    return {
      cooldownsCleared: cleared?.changes ?? 0,
      keysReenabled: reenabled?.changes ?? 0,
      errorCountsReset: reset?.changes ?? 0,
    };
  }

  /**
   * Encrypts every key still stored in plaintext. Rows already encrypted with this cipher are left
   * as they are, and a row that does not decrypt to its own `key_hash` is never rewritten.
   */
  async reencryptKeys(): Promise<number> {
    const rows = await this.driver.all<{ id: number; api_key: string; key_hash: string }>(
      'SELECT id, api_key, key_hash FROM api_keys ORDER BY id',
    );
    const updates = [];
    for (const row of rows) {
      const plain = await this.cipher.decrypt(row.api_key);
      if (plain !== row.api_key || (await sha256Hex(plain)) !== row.key_hash) continue;
      const stored = await this.cipher.encrypt(plain);
      if (stored === row.api_key) continue;
      updates.push({
        sql: 'UPDATE api_keys SET api_key = ? WHERE id = ? AND api_key = ?',
        params: [stored, row.id, row.api_key],
      });
    }
    return runInBatches(this.driver, updates);
  }

  private async getKey(id: number): Promise<PoolKey | null> {
    const row = await this.driver.first<KeyRow>(`${KEY_SELECT} WHERE api_keys.id = ?`, [id]);
    if (!row) return null;
    const cooldowns = await this.driver.all<CooldownRow>('SELECT * FROM key_cooldowns WHERE api_key_id = ?', [
      id,
    ]);
    const [key] = await toPoolKeys([row], cooldowns, this.cipher);
    return key ?? null;
  }
}

/** Sets (or with null clears) the group of the keys `ids` that exist. */
function groupStatements(dialect: SqlDialect, ids: number[], group: string | null): SqlStatement[] {
  const where = idsIn(dialect, 'id', ids);
  const keyIds = idsIn(dialect, 'api_key_id', ids);
  const text = dialect.param('text');
  return [
    { sql: `DELETE FROM api_key_groups WHERE ${keyIds.sql}`, params: [keyIds.param] },
    {
      sql: `INSERT INTO api_key_groups (api_key_id, key_group) SELECT id, ${text} FROM api_keys WHERE ${where.sql} AND ${text} IS NOT NULL`,
      params: [group, where.param, group],
    },
  ];
}

/** What enabling (also clearing the consecutive error count) or a manual disable writes. */
function activeColumns(active: boolean): Record<string, unknown> {
  return active
    ? { ...disableColumns(null), consecutive_errors: 0 }
    : disableColumns({ by: 'manual', reason: 'manual', until: null });
}
