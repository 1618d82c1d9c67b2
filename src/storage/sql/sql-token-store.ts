/** `TokenStore` over `access_tokens` (SHA-256 hashes, never the secrets). */
import type { NewAccessToken, TokenStore } from '../../core/ports.js';
import type { AccessToken } from '../../core/types.js';
import type { SqlDriver } from './driver.js';

interface TokenRow {
  id: number;
  name: string;
  token_hint: string;
  source: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, name, token_hint, source, created_at, last_used_at, revoked_at';

function toToken(r: TokenRow): AccessToken {
  return {
    id: Number(r.id),
    name: r.name,
    hint: r.token_hint,
    source: r.source === 'env' ? 'env' : 'api',
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export class SqlTokenStore implements TokenStore {
  constructor(private readonly driver: SqlDriver) {}

  async createToken(token: NewAccessToken, now: number): Promise<AccessToken> {
    await this.driver.run(
      'INSERT INTO access_tokens (name, token_hash, token_hint, source, created_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT(token_hash) DO NOTHING',
      [token.name, token.hash, token.hint, token.source, now],
    );
    const row = await this.driver.first<TokenRow>(
      `SELECT ${COLUMNS} FROM access_tokens WHERE token_hash = ?`,
      [token.hash],
    );
    if (!row) throw new Error('access token vanished right after it was inserted');
    return toToken(row);
  }

  async listTokens(): Promise<AccessToken[]> {
    const rows = await this.driver.all<TokenRow>(`SELECT ${COLUMNS} FROM access_tokens ORDER BY id`);
    return rows.map(toToken);
  }

  async revokeToken(id: number, now: number): Promise<boolean> {
    const { changes } = await this.driver.run(
      'UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      [now, id],
    );
    return changes > 0;
  }

  async findTokenByHash(hash: string): Promise<AccessToken | null> {
    const row = await this.driver.first<TokenRow>(
      `SELECT ${COLUMNS} FROM access_tokens WHERE token_hash = ? AND revoked_at IS NULL`,
      [hash],
    );
    return row ? toToken(row) : null;
  }
}
