/** `ResourceStore` over `resource_owners`. */
import type { ResourceOwner, ResourceStore } from '../../core/ports.js';
import type { SqlDriver } from './driver.js';

interface OwnerRow {
  name: string;
  api_key_id: number;
  project: string | null;
  access_token_id: number | null;
  upstream: string | null;
  created_at: number;
  expires_at: number | null;
}

const toOwner = (row: OwnerRow): ResourceOwner => ({
  name: row.name,
  keyId: Number(row.api_key_id),
  project: row.project,
  accessTokenId: row.access_token_id === null ? null : Number(row.access_token_id),
  upstream: row.upstream,
  createdAt: Number(row.created_at),
  expiresAt: row.expires_at === null ? null : Number(row.expires_at),
});

/** A live resource, not an upload session; binds `now`. */
const LIVE_RESOURCE = "name NOT LIKE 'uploads/%' AND (expires_at IS NULL OR expires_at > ?)";

/** `LIKE` with `prefix` taken literally. */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class SqlResourceStore implements ResourceStore {
  constructor(private readonly driver: SqlDriver) {}

  async findOwners(names: readonly string[]): Promise<ResourceOwner[]> {
    if (names.length === 0) return [];
    const rows = await this.driver.all<OwnerRow>(
      `SELECT * FROM resource_owners WHERE ${this.driver.dialect.inJsonArray('name', 'text')}`,
      [JSON.stringify(names)],
    );
    return rows.map(toOwner);
  }

  async recordOwner(owner: ResourceOwner): Promise<void> {
    await this.driver.run(
      `INSERT INTO resource_owners (name, api_key_id, project, access_token_id, upstream, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET api_key_id = excluded.api_key_id, project = excluded.project,
         access_token_id = excluded.access_token_id, upstream = excluded.upstream,
         created_at = excluded.created_at, expires_at = excluded.expires_at`,
      [
        owner.name,
        owner.keyId,
        owner.project,
        owner.accessTokenId,
        owner.upstream,
        owner.createdAt,
        owner.expiresAt,
      ],
    );
  }

  async forgetOwners(names: readonly string[]): Promise<number> {
    if (names.length === 0) return 0;
    const res = await this.driver.run(
      `DELETE FROM resource_owners WHERE ${this.driver.dialect.inJsonArray('name', 'text')}`,
      [JSON.stringify(names)],
    );
    return res.changes;
  }

  async ownerKeyIds(prefix: string, now: number): Promise<number[]> {
    const rows = await this.driver.all<{ api_key_id: number }>(
      `SELECT DISTINCT api_key_id FROM resource_owners
       WHERE name LIKE ? ESCAPE '\\' AND (expires_at IS NULL OR expires_at > ?) ORDER BY api_key_id`,
      [likePrefix(prefix), now],
    );
    return rows.map((r) => Number(r.api_key_id));
  }

  async recentOwnerKey(accessTokenId: number, prefix: string, since: number): Promise<number | null> {
    const row = await this.driver.first<{ api_key_id: number }>(
      `SELECT api_key_id FROM resource_owners
       WHERE access_token_id = ? AND created_at >= ? AND name LIKE ? ESCAPE '\\'
       ORDER BY created_at DESC LIMIT 1`,
      [accessTokenId, since, likePrefix(prefix)],
    );
    return row ? Number(row.api_key_id) : null;
  }

  async countByKey(now: number): Promise<Map<number, number>> {
    const rows = await this.driver.all<{ api_key_id: number; n: number }>(
      `SELECT api_key_id, COUNT(*) AS n FROM resource_owners WHERE ${LIVE_RESOURCE} GROUP BY api_key_id`,
      [now],
    );
    return new Map(rows.map((r) => [Number(r.api_key_id), Number(r.n)]));
  }

  async countForKey(keyId: number, now: number): Promise<number> {
    const row = await this.driver.first<{ n: number }>(
      `SELECT COUNT(*) AS n FROM resource_owners WHERE api_key_id = ? AND ${LIVE_RESOURCE}`,
      [keyId, now],
    );
    return Number(row?.n ?? 0);
  }

  async pruneExpired(now: number): Promise<number> {
    const res = await this.driver.run(
      'DELETE FROM resource_owners WHERE expires_at IS NOT NULL AND expires_at <= ?',
      [now],
    );
    return res.changes;
  }
}
