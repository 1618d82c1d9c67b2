/**
 * Hashing, tokens and at-rest key encryption over WebCrypto, so the same code runs on Node 20 and
 * Workers.
 */
import type { KeyCipher } from './ports.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('invalid base64url');
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** SHA-256 of the UTF-8 text, as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** A new secret token: `prefix` (default `gkp_`) + 32 random bytes in base64url (43 characters). */
export function randomToken(prefix = 'gkp_'): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Compares two strings in time that depends only on their lengths, never on where they differ.
 * A length difference makes the result false without an early exit.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** `gkp_…a1B2`: first 4 + `…` + last 4 (shorter than 12 characters: `…` + last 2). */
export function tokenHint(token: string): string {
  return token.length < 12 ? `…${token.slice(-2)}` : `${token.slice(0, 4)}…${token.slice(-4)}`;
}

/**
 * Stores keys as they are: used when no `ENCRYPTION_KEY` is set. It refuses encrypted rows: sent
 * upstream as a key, the ciphertext would fail as invalid and get the key disabled.
 */
export const plainCipher: KeyCipher = {
  encrypt: async (plain) => plain,
  decrypt: async (stored) => {
    if (stored.startsWith('enc:')) {
      throw new Error(
        'The database holds encrypted keys: set ENCRYPTION_KEY to the secret they were encrypted with',
      );
    }
    return stored;
  },
};

const PREFIX = 'enc:v1:';

/**
 * AES-256-GCM with a key derived as SHA-256 of `secret`. Stored form:
 * `enc:v1:<iv base64url>:<ciphertext+tag base64url>`, with a random 12-byte IV per value.
 * `decrypt` passes values without the `enc:` prefix through unchanged (plaintext rows of a
 * half-migrated table). A value that fails to decrypt (wrong secret, corrupted) throws an Error
 * whose message carries neither the secret nor the stored value.
 */
export async function createAesGcmCipher(secret: string): Promise<KeyCipher> {
  if (secret === '') throw new Error('ENCRYPTION_KEY must not be empty');
  const raw = await crypto.subtle.digest('SHA-256', encoder.encode(secret));
  const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  return {
    async encrypt(plain) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(plain));
      return `${PREFIX}${toBase64Url(iv)}:${toBase64Url(new Uint8Array(sealed))}`;
    },
    async decrypt(stored) {
      if (!stored.startsWith('enc:')) return stored;
      if (!stored.startsWith(PREFIX))
        throw new Error('cannot decrypt a stored key: unknown encryption format');
      const [ivText, dataText, ...rest] = stored.slice(PREFIX.length).split(':');
      try {
        if (ivText === undefined || dataText === undefined || rest.length > 0) throw new Error('malformed');
        const iv = fromBase64Url(ivText);
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, fromBase64Url(dataText));
        return decoder.decode(plain);
      } catch {
        throw new Error('cannot decrypt a stored key: wrong ENCRYPTION_KEY or corrupted value');
      }
    },
  };
}
