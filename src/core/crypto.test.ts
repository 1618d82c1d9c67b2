import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  createAesGcmCipher,
  plainCipher,
  randomToken,
  sha256Hex,
  tokenHint,
} from './crypto.js';

const KEY = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrXy12';

describe('sha256Hex', () => {
  it('matches the known digest', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('randomToken', () => {
  it('is the prefix plus 43 base64url characters, and differs each time', () => {
    const t = randomToken();
    expect(t).toMatch(/^gkp_[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(t);
    expect(randomToken('adm_')).toMatch(/^adm_/);
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual('gkp_abc', 'gkp_abc')).toBe(true);
    expect(constantTimeEqual('gkp_abc', 'gkp_abd')).toBe(false);
    expect(constantTimeEqual('gkp_abc', 'gkp_ab')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('é', 'e\u0301')).toBe(false);
  });
});

describe('tokenHint', () => {
  it('shows the prefix and the last 4', () => {
    expect(tokenHint('gkp_0123456789a1B2')).toBe('gkp_…a1B2');
    expect(tokenHint('short')).toBe('…rt');
  });
});

describe('ciphers', () => {
  it('plainCipher is the identity', async () => {
    expect(await plainCipher.encrypt(KEY)).toBe(KEY);
    expect(await plainCipher.decrypt(KEY)).toBe(KEY);
  });

  it('plainCipher refuses encrypted rows instead of passing ciphertext on as a key', async () => {
    const sealed = await (await createAesGcmCipher('a secret of sixteen+ chars')).encrypt(KEY);
    await expect(plainCipher.decrypt(sealed)).rejects.toThrow(/set ENCRYPTION_KEY/);
  });

  it('AES-GCM round trip, with a fresh IV per value', async () => {
    const cipher = await createAesGcmCipher('correct horse battery staple');
    const a = await cipher.encrypt(KEY);
    const b = await cipher.encrypt(KEY);
    expect(a).toMatch(/^enc:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(a).not.toContain(KEY);
    expect(a).not.toBe(b);
    expect(await cipher.decrypt(a)).toBe(KEY);
    expect(await cipher.decrypt(b)).toBe(KEY);
  });

  it('passes plaintext through', async () => {
    const cipher = await createAesGcmCipher('s');
    expect(await cipher.decrypt(KEY)).toBe(KEY);
  });

  it('a wrong key or a tampered value throws without key material', async () => {
    const stored = await (await createAesGcmCipher('secret-one')).encrypt(KEY);
    const other = await createAesGcmCipher('secret-two');
    const err = await other.decrypt(stored).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    for (const secret of [KEY, 'secret-one', 'secret-two', stored]) expect(message).not.toContain(secret);
    const at = stored.length - 10;
    const tampered = stored.slice(0, at) + (stored[at] === 'A' ? 'B' : 'A') + stored.slice(at + 1);
    await expect((await createAesGcmCipher('secret-one')).decrypt(tampered)).rejects.toThrow(
      /cannot decrypt/,
    );
    await expect(other.decrypt('enc:v1:nope')).rejects.toThrow(/cannot decrypt/);
    await expect(other.decrypt('enc:v9:a:b')).rejects.toThrow(/unknown encryption format/);
  });

  it('rejects an empty secret', async () => {
    await expect(createAesGcmCipher('')).rejects.toThrow(/must not be empty/);
  });
});
