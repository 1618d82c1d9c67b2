/** Issuing client access tokens and their public view; shared by the admin API, the CLI and first start. */
import { randomToken, sha256Hex, tokenHint } from './crypto.js';
import type { TokenStore } from './ports.js';
import type { AccessToken, TokenRules } from './types.js';

/** The rules of a token created without any: every model, no limit, keys of no group, enabled. */
export const OPEN_RULES: Readonly<TokenRules> = Object.freeze({
  models: [],
  rpm: null,
  rpd: null,
  tpm: null,
  tpd: null,
  expiresAt: null,
  keyGroup: null,
  enabled: true,
});

export const TOKEN_NAME_MAX_LENGTH = 100;

/** ISO 8601 (UTC) for a millisecond timestamp, `null` for none. */
export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** Creates a token, with optional rules; the secret is returned only here, only its hash is stored. */
export async function issueAccessToken(
  store: TokenStore,
  name: string,
  now: number,
  rules: Partial<TokenRules> = {},
): Promise<{ token: AccessToken; secret: string }> {
  const secret = randomToken();
  const token = await store.createToken(
    { name, hash: await sha256Hex(secret), hint: tokenHint(secret), source: 'api', rules },
    now,
  );
  return { token, secret };
}

/** A token as the admin API and the CLI's `--json` show it: never the secret, never the hash. */
export function accessTokenView(t: AccessToken) {
  return {
    id: t.id,
    name: t.name,
    hint: t.hint,
    source: t.source,
    created_at: isoTime(t.createdAt),
    last_used_at: isoTime(t.lastUsedAt),
    revoked_at: isoTime(t.revokedAt),
    models: t.models,
    rpm: t.rpm,
    rpd: t.rpd,
    tpm: t.tpm,
    tpd: t.tpd,
    expires_at: isoTime(t.expiresAt),
    key_group: t.keyGroup,
    enabled: t.enabled,
  };
}
