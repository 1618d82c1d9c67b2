import { describe, expect, it } from 'vitest';
import { GeminiSseReader, SseEventTooLargeError, type GeminiStreamItem } from './sse-reader.js';

const enc = new TextEncoder();
const event = (value: unknown) => `data: ${JSON.stringify(value)}\r\n\r\n`;
const text = (t: string) => ({ candidates: [{ content: { role: 'model', parts: [{ text: t }] } }] });

function readAll(reader: GeminiSseReader, chunks: string[]): GeminiStreamItem[] {
  const items = chunks.flatMap((c) => reader.push(enc.encode(c)));
  return [...items, ...reader.end()];
}

describe('GeminiSseReader', () => {
  it('parses events split at every byte, CRLF boundaries included', () => {
    const body = event(text('Hel')) + event(text('lo')) + event({ usageMetadata: { totalTokenCount: 3 } });
    const items = readAll(new GeminiSseReader(), [...body]);
    expect(items).toEqual([
      { kind: 'response', response: text('Hel') },
      { kind: 'response', response: text('lo') },
      { kind: 'response', response: { usageMetadata: { totalTokenCount: 3 } } },
    ]);
  });

  it('parses several events from one chunk and LF-only framing', () => {
    const body = `data: ${JSON.stringify(text('a'))}\n\ndata: ${JSON.stringify(text('b'))}\n\n`;
    expect(readAll(new GeminiSseReader(), [body]).map((i) => i.kind)).toEqual(['response', 'response']);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const bytes = enc.encode(event(text('héllo 世界')));
    const reader = new GeminiSseReader();
    const items = [...bytes].flatMap((b) => reader.push(Uint8Array.of(b)));
    expect(items).toEqual([{ kind: 'response', response: text('héllo 世界') }]);
  });

  it('returns a last event that lacks its blank line at end()', () => {
    const reader = new GeminiSseReader();
    expect(reader.push(enc.encode(`data: ${JSON.stringify(text('x'))}`))).toEqual([]);
    expect(reader.end()).toEqual([{ kind: 'response', response: text('x') }]);
  });

  it('reports an error envelope and a non-JSON event as such', () => {
    const err = { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } };
    const items = readAll(new GeminiSseReader(), [event(err) + 'data: nope\r\n\r\n: comment\r\n\r\n']);
    expect(items).toEqual([
      { kind: 'error', error: err.error },
      { kind: 'invalid', data: 'nope' },
    ]);
  });

  it('refuses an event that grows past its cap', () => {
    const reader = new GeminiSseReader(100);
    reader.push(enc.encode('data: "' + 'x'.repeat(60)));
    expect(() => reader.push(enc.encode('y'.repeat(60)))).toThrow(SseEventTooLargeError);
  });

  it('keeps a large event split into many chunks intact', () => {
    const big = text('z'.repeat(200_000));
    const body = event(big);
    const chunks: string[] = [];
    for (let i = 0; i < body.length; i += 1000) chunks.push(body.slice(i, i + 1000));
    expect(readAll(new GeminiSseReader(), chunks)).toEqual([{ kind: 'response', response: big }]);
  });
});
