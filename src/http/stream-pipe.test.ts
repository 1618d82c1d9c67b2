import { describe, expect, it } from 'vitest';
import { looksLikeStreamStart } from './stream-pipe.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('looksLikeStreamStart', () => {
  it('accepts SSE fields and a JSON array start', () => {
    expect(looksLikeStreamStart('openai-sse', bytes('data: {"choices":[]}\n\n'))).toBe(true);
    expect(looksLikeStreamStart('openai-sse', bytes(': keep-alive\n\n'))).toBe(true);
    expect(looksLikeStreamStart('gemini-sse', bytes('\r\ndata: {"candidates":[]}\r\n\r\n'))).toBe(true);
    expect(looksLikeStreamStart('gemini-json-array', bytes('[{"candidates":[]}'))).toBe(true);
  });

  it('gives a chunk too short to tell the benefit of the doubt', () => {
    expect(looksLikeStreamStart('openai-sse', bytes('da'))).toBe(true);
    expect(looksLikeStreamStart('gemini-json-array', bytes('  '))).toBe(true);
  });

  it('rejects garbage and JSON bodies where a stream was expected', () => {
    expect(looksLikeStreamStart('openai-sse', bytes('{"choi'))).toBe(false);
    expect(looksLikeStreamStart('gemini-sse', bytes('<html>'))).toBe(false);
    expect(looksLikeStreamStart('openai-sse', bytes('dato: x'))).toBe(false);
    expect(looksLikeStreamStart('gemini-json-array', bytes('{"error":{}}'))).toBe(false);
  });
});
