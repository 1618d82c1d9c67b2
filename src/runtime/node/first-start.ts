/**
 * First-start credentials: when ADMIN_TOKEN is unset the gateway generates one, stores only its
 * hash and prints it once; likewise a first access token when there is none. No default credentials exist.
 */
import { issueAccessToken } from '../../core/access-tokens.js';
import { randomToken, sha256Hex } from '../../core/crypto.js';
import type { Storage } from '../../core/ports.js';

const ADMIN_HASH_META = 'admin_token_hash';

/** Returns the admin token hash to check against, and the plaintext token if one was just generated. */
export async function resolveAdminToken(
  storage: Storage,
  envToken: string | undefined,
): Promise<{ hash: string; generated: string | null }> {
  if (envToken) return { hash: await sha256Hex(envToken.trim()), generated: null };
  const stored = await storage.meta.getMeta(ADMIN_HASH_META);
  if (stored) return { hash: stored, generated: null };
  const token = randomToken('gkp_admin_');
  const hash = await sha256Hex(token);
  await storage.meta.setMeta(ADMIN_HASH_META, hash);
  return { hash, generated: token };
}

/** Creates a first access token when none exists at all; returns its plaintext, shown once. */
export async function ensureFirstAccessToken(storage: Storage, now: number): Promise<string | null> {
  const tokens = await storage.tokens.listTokens();
  if (tokens.length > 0) return null;
  const { secret } = await issueAccessToken(storage.tokens, 'first-start', now);
  return secret;
}
