/** `TokenStore` over `access_tokens` (SHA-256 hashes, never the secrets) and `access_token_rules`. */
import type { NewAccessToken, TokenStore } from '../../core/ports.js';
import type { AccessToken, TokenRules } from '../../core/types.js';
import type { SqlDriver, SqlStatement } from './driver.js';

interface TokenRow {
  id: number;
  name: string;
  token_hint: string;
  source: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  models: string | null;
  rpm: number | null;
  rpd: number | null;
  tpm: number | null;
  tpd: number | null;
  expires_at: number | null;
  key_group: string | null;
  enabled: number | null;
}

const SELECT =
  'SELECT t.id, t.name, t.token_hint, t.source, t.created_at, t.last_used_at, t.revoked_at, ' +
  'r.models, r.rpm, r.rpd, r.tpm, r.tpd, r.expires_at, r.key_group, r.enabled ' +
  'FROM access_tokens t LEFT JOIN access_token_rules r ON r.token_id = t.id';

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function parseModels(text: string | null): string[] {
  if (!text) return [];
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}

function toToken(r: TokenRow): AccessToken {
  return {
    id: Number(r.id),
    name: r.name,
    hint: r.token_hint,
    source: r.source === 'env' ? 'env' : 'api',
    createdAt: Number(r.created_at),
    lastUsedAt: num(r.last_used_at),
    revokedAt: num(r.revoked_at),
    models: parseModels(r.models),
    rpm: num(r.rpm),
    rpd: num(r.rpd),
    tpm: num(r.tpm),
    tpd: num(r.tpd),
    expiresAt: num(r.expires_at),
    keyGroup: r.key_group,
    enabled: r.enabled === null || Number(r.enabled) !== 0,
  };
}

const RULE_COLUMNS: Record<keyof TokenRules, string> = {
  models: 'models',
  rpm: 'rpm',
  rpd: 'rpd',
  tpm: 'tpm',
  tpd: 'tpd',
  expiresAt: 'expires_at',
  keyGroup: 'key_group',
  enabled: 'enabled',
};

/** Upserts the given rule fields of one token; fields left out keep their stored (or default) value. */
function rulesStatement(tokenId: number, rules: Partial<TokenRules>): SqlStatement | null {
  const entries = (Object.keys(RULE_COLUMNS) as Array<keyof TokenRules>).flatMap((field) => {
    const value = rules[field];
    if (value === undefined) return [];
    if (field === 'models') return [[RULE_COLUMNS[field], JSON.stringify(value)] as const];
    if (field === 'enabled') return [[RULE_COLUMNS[field], value ? 1 : 0] as const];
    return [[RULE_COLUMNS[field], value] as const];
  });
  if (entries.length === 0) return null;
  const columns = entries.map(([c]) => c);
  return {
    sql:
      `INSERT INTO access_token_rules (token_id, ${columns.join(', ')}) ` +
      `SELECT id, ${columns.map(() => '?').join(', ')} FROM access_tokens WHERE id = ? AND revoked_at IS NULL ` +
      `ON CONFLICT(token_id) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
    params: [...entries.map(([, v]) => v), tokenId],
  };
}

export class SqlTokenStore implements TokenStore {
  constructor(private readonly driver: SqlDriver) {}

  async createToken(token: NewAccessToken, now: number): Promise<AccessToken> {
    const { changes } = await this.driver.run(
      'INSERT INTO access_tokens (name, token_hash, token_hint, source, created_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT(token_hash) DO NOTHING',
      [token.name, token.hash, token.hint, token.source, now],
    );
    const row = await this.driver.first<TokenRow>(`${SELECT} WHERE t.token_hash = ?`, [token.hash]);
    if (!row) throw new Error('access token vanished right after it was inserted');
    const rules = changes > 0 && token.rules ? rulesStatement(Number(row.id), token.rules) : null;
    if (!rules) return toToken(row);
    await this.driver.run(rules.sql, rules.params);
    return (await this.getToken(Number(row.id))) ?? toToken(row);
  }

  async listTokens(): Promise<AccessToken[]> {
    const rows = await this.driver.all<TokenRow>(`${SELECT} ORDER BY t.id`);
    return rows.map(toToken);
  }

  async updateToken(id: number, rules: Partial<TokenRules>, name?: string): Promise<AccessToken | null> {
    const statements: SqlStatement[] = [];
    if (name !== undefined) {
      statements.push({
        sql: 'UPDATE access_tokens SET name = ? WHERE id = ? AND revoked_at IS NULL',
        params: [name, id],
      });
    }
    const rulesRow = rulesStatement(id, rules);
    if (rulesRow) statements.push(rulesRow);
    if (statements.length > 0) await this.driver.batch(statements);
    const token = await this.getToken(id);
    return token && token.revokedAt === null ? token : null;
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
      `${SELECT} WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
      [hash],
    );
    return row ? toToken(row) : null;
  }

  private async getToken(id: number): Promise<AccessToken | null> {
    const row = await this.driver.first<TokenRow>(`${SELECT} WHERE t.id = ?`, [id]);
    return row ? toToken(row) : null;
  }
}
