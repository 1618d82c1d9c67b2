/**
 * Hashing, tokens, constant-time comparison and at-rest encryption, on WebCrypto only so the same
 * code runs on Node and in Workers.
 */
import type { KeyCipher } from './ports.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

/** A new random secret: `prefix` + 32 random bytes in base64url. */
export function randomToken(prefix = 'gkp_'): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Compares two strings without stopping at the first difference, so timing reveals nothing of their content. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** First and last four characters of a token, e.g. `gkp_…a1B2`, for recognising it in lists. */
export function tokenHint(token: string): string {
  return token.length <= 12 ? `…${token.slice(-2)}` : `${token.slice(0, 4)}…${token.slice(-4)}`;
}

/** Stores keys as they are: used when no `ENCRYPTION_KEY` is set. */
export const plainCipher: KeyCipher = {
  encrypt: (plain) => Promise.resolve(plain),
  decrypt: (stored) => Promise.resolve(stored),
};

const PREFIX = 'enc:v1:';

/**
 * AES-256-GCM with a fresh 96-bit IV per value; the key is the SHA-256 of `secret`.
 * Stored form: `enc:v1:<iv>:<ciphertext>` (base64url). Values without the prefix are plaintext
 * and pass through `decrypt` unchanged, so a table can be migrated row by row.
 */
export async function createAesGcmCipher(secret: string): Promise<KeyCipher> {
  if (secret.trim().length < 16) throw new Error('ENCRYPTION_KEY must be at least 16 characters');
  const raw = await crypto.subtle.digest('SHA-256', encoder.encode(secret));
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return {
    async encrypt(plain) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(plain));
      return `${PREFIX}${toBase64Url(iv)}:${toBase64Url(new Uint8Array(sealed))}`;
    },
    async decrypt(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      const [iv, sealed] = stored.slice(PREFIX.length).split(':');
      if (!iv || !sealed) throw new Error('Stored key is not in the enc:v1 format');
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64Url(iv) },
          key,
          fromBase64Url(sealed),
        );
        return decoder.decode(plain);
      } catch {
        throw new Error(
          'Cannot decrypt a stored key: ENCRYPTION_KEY differs from the one it was encrypted with',
        );
      }
    },
  };
}
