/**
 * Tokens are compared in constant time. Timing is never measured (it is noise on a shared
 * machine); instead the compare function's work is counted, and the code that checks tokens is
 * reviewed by the test so a later `===` on a secret fails it.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { constantTimeEqual, sha256Hex } from '../../src/core/crypto.js';

const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** How many bytes constantTimeEqual reads for a pair, counted through the encoder's output. */
function bytesRead(a: string, b: string): number {
  let reads = 0;
  const encode = TextEncoder.prototype.encode;
  const spy = vi.spyOn(TextEncoder.prototype, 'encode').mockImplementation(function (
    this: TextEncoder,
    input,
  ) {
    const bytes = encode.call(this, input);
    return new Proxy(bytes, {
      get(target, prop) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) reads += 1;
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  });
  try {
    constantTimeEqual(a, b);
  } finally {
    spy.mockRestore();
  }
  return reads;
}

afterEach(() => vi.restoreAllMocks());

describe('constantTimeEqual', () => {
  it('says equal only for identical strings', async () => {
    const hash = await sha256Hex('admin-token');
    expect(constantTimeEqual(hash, await sha256Hex('admin-token'))).toBe(true);
    expect(constantTimeEqual(hash, await sha256Hex('admin-tokem'))).toBe(false);
    expect(constantTimeEqual(hash, hash.toUpperCase())).toBe(false);
    expect(constantTimeEqual(hash, hash.slice(0, -1))).toBe(false);
    expect(constantTimeEqual(hash, `${hash}0`)).toBe(false);
    expect(constantTimeEqual(hash, '')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('ä', 'a\u0308')).toBe(false);
  });

  it('reads every byte whatever the position of the first difference', async () => {
    const hash = await sha256Hex('admin-token');
    const flip = (i: number) => hash.slice(0, i) + (hash[i] === '0' ? '1' : '0') + hash.slice(i + 1);
    const equal = bytesRead(hash, hash);
    expect(equal).toBe(2 * hash.length);
    for (const position of [0, 1, 31, 62, 63]) expect(bytesRead(hash, flip(position))).toBe(equal);
  });

  it('does not stop early on a length difference either', async () => {
    const hash = await sha256Hex('admin-token');
    // The longer length bounds the loop on both sides: a short guess costs as much as a full one.
    expect(bytesRead(hash, 'a')).toBe(2 * hash.length);
    expect(bytesRead('a', hash)).toBe(2 * hash.length);
  });
});

describe('code that checks tokens (review)', () => {
  it('admin and metrics tokens: SHA-256 of the presented token, compared with constantTimeEqual', () => {
    const code = source('src/http/admin-auth.ts');
    expect(code).toMatch(/sha256Hex\(token/);
    expect(code.match(/constantTimeEqual\(hash, this\.opts\.\w+Hash\)/g)?.length).toBe(2);
    // No ordinary comparison of a token or hash anywhere in the file.
    expect(code).not.toMatch(/(token|hash)\w*\s*[!=]==?\s*(?!null\b)[\w.]/i);
    expect(code).not.toMatch(/[\w.]\s*[!=]==?\s*\w*(token|hash)\b/i);
  });

  it('access tokens: looked up by their SHA-256, never by their plaintext', () => {
    const code = source('src/http/client-auth.ts');
    expect(code).toMatch(/findTokenByHash\(await sha256Hex\(token\)\)/);
    expect(code).not.toMatch(/findTokenByHash\(token\)/);
  });
});
