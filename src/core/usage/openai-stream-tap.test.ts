import { describe, expect, it } from 'vitest';
import { OPENAI_CHAT_STREAM } from '../health/fixtures.js';
import { MAX_HELD_EVENT, OpenAIStreamTap } from './openai-stream-tap.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const chunk = (delta: object, usage: object, finish?: string) =>
  `data: ${JSON.stringify({
    choices: [
      { delta: { role: 'assistant', ...delta }, ...(finish ? { finish_reason: finish } : {}), index: 0 },
    ],
    model: 'gemini-3-flash-preview',
    object: 'chat.completion.chunk',
    usage,
  })}\n\n`;
const call = (id: string, city: string) => ({
  tool_calls: [
    {
      function: { arguments: JSON.stringify({ city }), name: 'get_weather' },
      id,
      type: 'function',
      extra_content: { google: { thought_signature: 'CpcB' } },
    },
  ],
});

// Content with multi-byte characters, then two parallel calls in separate chunks, cumulative usage.
const STREAM =
  chunk({ content: 'Grüße 🌍' }, { completion_tokens: 1, prompt_tokens: 9, total_tokens: 103 }) +
  chunk(call('function-call-1', 'Paris'), { completion_tokens: 12, prompt_tokens: 40, total_tokens: 150 }) +
  chunk(
    call('function-call-2', 'Köln'),
    { completion_tokens: 20, prompt_tokens: 40, total_tokens: 170 },
    'tool_calls',
  ) +
  'data: [DONE]\n\n';

function run(parts: Uint8Array[]): { out: string; tap: OpenAIStreamTap } {
  const tap = new OpenAIStreamTap();
  const out: Uint8Array[] = parts.map((p) => tap.push(p));
  out.push(tap.end());
  return { out: out.map((b) => dec.decode(b, { stream: true })).join('') + dec.decode(), tap };
}

function events(out: string): string[] {
  return out.split('\n\n').filter((e) => e !== '');
}

function toolIndexes(out: string): Array<{ id: unknown; index: unknown }> {
  return events(out)
    .filter((e) => e !== 'data: [DONE]')
    .flatMap((e) => JSON.parse(e.slice(6)).choices[0].delta.tool_calls ?? [])
    .map((c: { id: unknown; index: unknown }) => ({ id: c.id, index: c.index }));
}

function check(out: string, tap: OpenAIStreamTap): void {
  expect(toolIndexes(out)).toEqual([
    { id: 'function-call-1', index: 0 },
    { id: 'function-call-2', index: 1 },
  ]);
  const [first, , , last] = events(out);
  expect(first).toBe(events(STREAM)[0]);
  expect(last).toBe('data: [DONE]');
  expect(tap.usage).toEqual({ prompt: 40, completion: 20, total: 170 });
  expect(tap.problem).toBeNull();
}

describe('OpenAIStreamTap', () => {
  const bytes = enc.encode(STREAM);

  it('whole stream in one chunk', () => {
    const { out, tap } = run([bytes]);
    check(out, tap);
  });

  it('split into two chunks at every byte boundary', () => {
    for (let i = 1; i < bytes.length; i++) {
      const { out, tap } = run([bytes.subarray(0, i), bytes.subarray(i)]);
      check(out, tap);
    }
  });

  it('one byte at a time', () => {
    const { out, tap } = run([...bytes].map((b) => Uint8Array.of(b)));
    check(out, tap);
  });

  it('forwards only complete events and holds the partial one', () => {
    const tap = new OpenAIStreamTap();
    const first = events(STREAM)[0] ?? '';
    expect(dec.decode(tap.push(enc.encode(`${first}\n\ndata: {"cho`)))).toBe(`${first}\n\n`);
    expect(tap.push(enc.encode('ices'))).toHaveLength(0);
  });

  it('returns the input chunk itself on the fast path', () => {
    const tap = new OpenAIStreamTap();
    const plain = enc.encode(events(STREAM)[0] + '\n\n');
    expect(tap.push(plain)).toBe(plain);
    expect(tap.usage).toEqual({ prompt: 9, completion: 1, total: 103 });
  });

  it('usage is the last chunk, not the sum, on the wire example', () => {
    const { out, tap } = run([enc.encode(OPENAI_CHAT_STREAM)]);
    expect(tap.usage).toEqual({ prompt: 40, completion: 12, total: 150 });
    expect(toolIndexes(out)).toEqual([{ id: 'function-call-1', index: 0 }]);
  });

  it('tolerates \\r\\n\\r\\n separators', () => {
    const crlf = STREAM.replaceAll('\n\n', '\r\n\r\n');
    const b = enc.encode(crlf);
    for (let i = 1; i < b.length; i += 7) {
      const { out, tap } = run([b.subarray(0, i), b.subarray(i)]);
      check(out.replaceAll('\r\n\r\n', '\n\n'), tap);
    }
  });

  it('keeps indexes already present and numbers per choice', () => {
    const tap = new OpenAIStreamTap();
    const ev = (choices: object[]) => enc.encode(`data: ${JSON.stringify({ choices })}\n\n`);
    const got = [
      tap.push(ev([{ index: 0, delta: { tool_calls: [{ id: 'a', index: 0 }] } }])),
      tap.push(
        ev([
          { index: 1, delta: { tool_calls: [{ id: 'b' }] } },
          { index: 0, delta: { tool_calls: [{ id: 'c' }] } },
        ]),
      ),
    ].map((b) => JSON.parse(dec.decode(b).slice(6)));
    expect(got[1].choices[0].delta.tool_calls[0].index).toBe(0);
    expect(got[1].choices[1].delta.tool_calls[0].index).toBe(1);
  });

  it('records a mid-stream error event, and unwraps the array the compatible endpoint puts it in', () => {
    const err = { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' };
    const { out, tap } = run([
      enc.encode(events(STREAM)[0] + `\n\ndata: ${JSON.stringify([{ error: err }])}\n\n`),
    ]);
    expect(tap.problem).toEqual({ error: err });
    expect(events(out)[1]).toBe(`data: ${JSON.stringify({ error: err })}`);
  });

  it('passes an error event already in OpenAI shape unchanged', () => {
    const event = `data: ${JSON.stringify({ error: { message: 'boom', type: 'api_error' } })}\n\n`;
    const { out, tap } = run([enc.encode(event)]);
    expect(out).toBe(event);
    expect(tap.problem).toEqual({ error: { message: 'boom', type: 'api_error' } });
  });

  it('calls a stream that ends without [DONE] unterminated', () => {
    const { tap } = run([enc.encode(events(STREAM)[0] + '\n\n')]);
    expect(tap.problem).toBe('unterminated');
  });

  it('end() returns a trailing event that lacks its blank line', () => {
    const tap = new OpenAIStreamTap();
    expect(tap.push(enc.encode('data: [DONE]'))).toHaveLength(0);
    expect(tap.problem).toBe('unterminated');
    expect(dec.decode(tap.end())).toBe('data: [DONE]');
    expect(tap.problem).toBeNull();
  });

  it('scans a multi-megabyte event in linear work, holding at most the cap, and keeps reading after it', () => {
    const image = `data: {"choices":[{"delta":{"content":"![image](data:image/png;base64,${'A'.repeat(8 * 1024 * 1024)})"},"index":0}]}\n\n`;
    const whole = enc.encode(image + STREAM);
    const tap = new OpenAIStreamTap();
    const parts: Uint8Array[] = [];
    let forwardedBeforeEnd = 0;
    for (let at = 0; at < whole.length; at += 16 * 1024) {
      const out = tap.push(whole.subarray(at, at + 16 * 1024));
      parts.push(out);
      if (at + 16 * 1024 < image.length) forwardedBeforeEnd += out.length;
    }
    parts.push(tap.end());
    // Each character is looked at a bounded number of times, and the event does not pile up.
    expect(tap.scanned).toBeLessThan(3 * whole.length);
    expect(forwardedBeforeEnd).toBeGreaterThan(image.length - MAX_HELD_EVENT - 32 * 1024);
    const out = parts.map((b) => dec.decode(b, { stream: true })).join('') + dec.decode();
    expect(out.slice(0, image.length)).toBe(image);
    check(out.slice(image.length), tap);
  });

  it('reads events again after a long one whose blank line is split across chunks', () => {
    const long = `data: {"choices":[],"pad":"${'x'.repeat(MAX_HELD_EVENT + 10)}"}`;
    const { out, tap } = run([enc.encode(`${long}\n`), enc.encode(`\n${STREAM}`)]);
    expect(out).toContain(long);
    check(out.slice(long.length + 2), tap);
  });

  it('scans many small chunks of one event in linear work', () => {
    const event = `data: {"choices":[{"delta":{"content":"${'y'.repeat(512 * 1024)}"},"index":0}]}\n\n`;
    const bytesIn = enc.encode(event + 'data: [DONE]\n\n');
    const { out, tap } = run(
      [...Array(Math.ceil(bytesIn.length / 100)).keys()].map((i) => bytesIn.subarray(i * 100, i * 100 + 100)),
    );
    expect(out).toBe(event + 'data: [DONE]\n\n');
    expect(tap.scanned).toBeLessThan(3 * bytesIn.length);
  });
});
