/**
 * Start-up chores both runtimes share: importing keys and access tokens from the environment,
 * and turning the admin token into the hash the app compares against.
 */
import { sha256Hex, tokenHint } from './core/crypto.js';
import { parseKeyText } from './core/keys/import.js';
import type { AddKeysResult, Storage } from './core/ports.js';

/** The hash of a configured admin token, or null when none is configured. */
export async function adminTokenHashFrom(token: string | undefined): Promise<string | null> {
  const trimmed = token?.trim();
  return trimmed ? sha256Hex(trimmed) : null;
}

/** Imports `GEMINI_API_KEYS` (comma- or newline-separated, optionally `key,email,project` per line). Idempotent. */
export async function importEnvKeys(
  storage: Storage,
  text: string | undefined,
  now: number,
): Promise<AddKeysResult & { invalid: number }> {
  if (!text?.trim()) return { added: 0, duplicates: 0, invalid: 0 };
  const { keys, invalid } = parseKeyText(text);
  const result = await storage.keys.addKeys(keys, now);
  return { ...result, invalid };
}

/** Registers `ACCESS_TOKENS` (comma-separated) as hashed access tokens. Idempotent; returns how many were given. */
export async function importEnvAccessTokens(
  storage: Storage,
  csv: string | undefined,
  now: number,
): Promise<number> {
  const tokens = (csv ?? '')
    .split(/[,\n]/)
    .map((t) => t.trim())
    .filter(Boolean);
  for (const token of tokens) {
    await storage.tokens.createToken(
      { name: 'ACCESS_TOKENS', hash: await sha256Hex(token), hint: tokenHint(token), source: 'env' },
      now,
    );
  }
  return tokens.length;
}
