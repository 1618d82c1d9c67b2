import { describe, expect, it } from 'vitest';
import { GeminiJsonArrayTap, GeminiSseTap } from './gemini-stream-taps.js';

const enc = new TextEncoder();

const response = (text: string, candidates: number, thoughts: number) => ({
  candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }],
  usageMetadata: {
    promptTokenCount: 7,
    candidatesTokenCount: candidates,
    thoughtsTokenCount: thoughts,
    totalTokenCount: 7 + candidates + thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }],
  },
  modelVersion: 'gemini-2.5-flash',
});

// Text that mimics the markers, to prove the taps match structure, not substrings.
const RESPONSES = [
  response('{"usageMetadata": {"x": 1}} 🌍', 3, 10),
  response('} ] \\" {', 6, 10),
  response('done ü', 9, 12),
];
const LAST = { prompt: 7, completion: 21, total: 28 };

function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[bytes], [...bytes].map((b) => Uint8Array.of(b))];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

describe('GeminiSseTap', () => {
  const sse = RESPONSES.map((r) => `data: ${JSON.stringify(r)}\r\n\r\n`).join('');

  it('records the last usageMetadata at every split', () => {
    for (const parts of splits(enc.encode(sse))) {
      const tap = new GeminiSseTap();
      for (const p of parts) tap.push(p);
      expect(tap.usage).toEqual(LAST);
    }
  });

  it('reads a final event that lacks its blank line', () => {
    const tap = new GeminiSseTap();
    tap.push(enc.encode(sse.slice(0, -4)));
    expect(tap.usage).toEqual(LAST);
  });

  it('reads the usage after a multi-megabyte event (an inline image) sent in small chunks', () => {
    const image = { inlineData: { mimeType: 'image/png', data: 'A'.repeat(8 * 1024 * 1024) } };
    const big = {
      ...RESPONSES.at(-1)!,
      candidates: [{ content: { parts: [image], role: 'model' }, index: 0 }],
    };
    const bytes = enc.encode(`${sse}data: ${JSON.stringify(big)}\r\n\r\n`);
    const tap = new GeminiSseTap();
    for (let at = 0; at < bytes.length; at += 16 * 1024) tap.push(bytes.subarray(at, at + 16 * 1024));
    expect(tap.usage).toEqual(LAST);
  });

  it('null before any usage', () => {
    const tap = new GeminiSseTap();
    tap.push(enc.encode('data: {"candidates":[]}\r\n\r\n'));
    expect(tap.usage).toBeNull();
  });
});

describe('GeminiJsonArrayTap', () => {
  // The native endpoint pretty-prints each element and separates them with `,\r\n`.
  const array = `[${RESPONSES.map((r) => JSON.stringify(r, null, 2)).join(',\r\n')}]`;

  it('records the last usageMetadata at every split', () => {
    for (const parts of splits(enc.encode(array))) {
      const tap = new GeminiJsonArrayTap();
      for (const p of parts) tap.push(p);
      expect(tap.usage).toEqual(LAST);
    }
  });

  it('reports the latest complete usage mid-stream', () => {
    const tap = new GeminiJsonArrayTap();
    const firstTwo = `[${RESPONSES.slice(0, 2)
      .map((r) => JSON.stringify(r))
      .join(',')}`;
    tap.push(enc.encode(firstTwo));
    expect(tap.usage).toEqual({ prompt: 7, completion: 16, total: 23 });
  });
});
