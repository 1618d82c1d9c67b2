import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChunkSink } from '../core/chunk-flow.js';
import { GEMINI_JSON_ARRAY, GEMINI_SSE } from '../dialects/gemini-native/dialect.js';
import { OPENAI_SSE } from '../dialects/openai-chat/dialect.js';
import type { StreamFormat } from './dialect.js';
import { looksLikeStreamStart, StreamRelay, type StreamEnd } from './stream-relay.js';
import { HandSource } from '../../test/support/hand-source.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('looksLikeStreamStart', () => {
  it('accepts SSE fields and a JSON array start', () => {
    expect(looksLikeStreamStart('sse', bytes('data: {"choices":[]}\n\n'))).toBe(true);
    expect(looksLikeStreamStart('sse', bytes(': keep-alive\n\n'))).toBe(true);
    expect(looksLikeStreamStart('sse', bytes('\r\ndata: {"candidates":[]}\r\n\r\n'))).toBe(true);
    expect(looksLikeStreamStart('json-array', bytes('[{"candidates":[]}'))).toBe(true);
  });

  it('gives a chunk too short to tell the benefit of the doubt', () => {
    expect(looksLikeStreamStart('sse', bytes('da'))).toBe(true);
    expect(looksLikeStreamStart('json-array', bytes('  '))).toBe(true);
  });

  it('rejects garbage and JSON bodies where a stream was expected', () => {
    expect(looksLikeStreamStart('sse', bytes('{"choi'))).toBe(false);
    expect(looksLikeStreamStart('sse', bytes('<html>'))).toBe(false);
    expect(looksLikeStreamStart('sse', bytes('dato: x'))).toBe(false);
    expect(looksLikeStreamStart('json-array', bytes('{"error":{}}'))).toBe(false);
  });
});

/** The client side: records what reached it and takes chunks while `taking` is true. */
class Client implements ChunkSink {
  text = '';
  ended = false;
  failed: Error | null = null;
  taking = true;
  write(chunk: Uint8Array): boolean {
    this.text += new TextDecoder().decode(chunk);
    return this.taking;
  }
  end(): void {
    this.ended = true;
  }
  fail(err: Error): void {
    this.failed = err;
  }
}

const IDLE_MS = 1000;
const usageEvent = (total: number) =>
  `data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":${total}}}\n\n`;

function relayOf(format: StreamFormat = OPENAI_SSE) {
  const ends: StreamEnd[] = [];
  const relay = new StreamRelay({ format, idleTimeoutMs: IDLE_MS, onEnd: (end) => ends.push(end) });
  const upstream = new HandSource();
  const head = relay.start(upstream);
  return { relay, upstream, head, ends };
}

describe('StreamRelay', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds the first chunk until the client connects, then forwards live chunks and reports usage', async () => {
    const { relay, upstream, head, ends } = relayOf();
    expect(upstream.send('data: {"choices":[]}\n\n')).toBe(false);
    expect(new TextDecoder().decode((await head) ?? undefined)).toBe('data: {"choices":[]}\n\n');

    const client = new Client();
    relay.pipe(client);
    expect(client.text).toBe('data: {"choices":[]}\n\n');
    expect(upstream.resumes).toBe(1);
    expect(upstream.send(usageEvent(5))).toBe(true);
    upstream.send('data: [DONE]\n\n');
    upstream.sink?.end();

    expect(client.text).toBe(`data: {"choices":[]}\n\n${usageEvent(5)}data: [DONE]\n\n`);
    expect(client.ended).toBe(true);
    expect(ends).toEqual([{ reason: 'complete', tokens: { prompt: 2, completion: 3, total: 5 } }]);
    await expect(relay.done).resolves.toEqual({ prompt: 2, completion: 3, total: 5 });
  });

  it('reports what went wrong in a stream that ended cleanly: an error event, or no [DONE]', async () => {
    const error = { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' };
    const withError = relayOf();
    withError.upstream.send('data: {"choices":[]}\n\n');
    withError.upstream.send(`data: ${JSON.stringify([{ error }])}\n\n`);
    withError.upstream.sink?.end();
    await withError.head;
    const client = new Client();
    withError.relay.pipe(client);
    expect(client.text).toBe(`data: {"choices":[]}\n\ndata: ${JSON.stringify({ error })}\n\n`);
    expect(withError.ends).toEqual([{ reason: 'complete', tokens: null, problem: { error } }]);

    const cut = relayOf();
    cut.upstream.send('data: {"choices":[]}\n\n');
    cut.upstream.sink?.end();
    await cut.head;
    cut.relay.pipe(new Client());
    expect(cut.ends).toEqual([{ reason: 'complete', tokens: null, problem: 'unterminated' }]);

    const native = relayOf(GEMINI_SSE);
    native.upstream.send('data: {"candidates":[]}\r\n\r\n');
    native.upstream.sink?.end();
    await native.head;
    native.relay.pipe(new Client());
    expect(native.ends).toEqual([{ reason: 'complete', tokens: null }]);
  });

  it('delivers a stream that ended before the client connected', async () => {
    const { relay, upstream, head, ends } = relayOf();
    upstream.send('data: 1\n\n');
    upstream.send(usageEvent(7));
    upstream.sink?.end();
    await head;
    const client = new Client();
    relay.pipe(client);
    expect(client.text).toBe(`data: 1\n\n${usageEvent(7)}`);
    expect(client.ended).toBe(true);
    expect(ends.map((e) => e.reason)).toEqual(['complete']);
  });

  it('resolves the head with null for an empty body, and rejects it when the body fails first', async () => {
    const empty = relayOf();
    empty.upstream.sink?.end();
    await expect(empty.head).resolves.toBeNull();

    const broken = relayOf();
    broken.upstream.sink?.fail(new Error('reset'));
    await expect(broken.head).rejects.toThrow('reset');
    expect(broken.ends).toEqual([]);
  });

  it('passes a slow client on to the upstream as a pause, and its resume as a resume', async () => {
    const { relay, upstream, head } = relayOf();
    upstream.send('data: 1\n\n');
    await head;
    const client = new Client();
    const flow = relay.pipe(client);
    client.taking = false;
    expect(upstream.send('data: 2\n\n')).toBe(false);
    const resumesBefore = upstream.resumes;
    flow.resume();
    expect(upstream.resumes).toBe(resumesBefore + 1);
    flow.resume();
    expect(upstream.resumes).toBe(resumesBefore + 1);
  });

  it('rejects the head when the upstream says nothing for the idle timeout, and cancels it', async () => {
    const { head, upstream } = relayOf();
    const settled = head.catch((err: unknown) => err);
    vi.advanceTimersByTime(IDLE_MS);
    expect(await settled).toBeInstanceOf(Error);
    expect(upstream.cancelled?.message).toBe('upstream stream stalled');
  });

  it('ends a stream that goes quiet with the dialect error event, but never while the client is the slow one', async () => {
    const { relay, upstream, head, ends } = relayOf();
    upstream.send('data: 1\n\n');
    await head;
    const client = new Client();
    const flow = relay.pipe(client);

    client.taking = false;
    upstream.send('data: 2\n\n');
    vi.advanceTimersByTime(IDLE_MS * 3);
    expect(ends).toEqual([]);

    client.taking = true;
    flow.resume();
    vi.advanceTimersByTime(IDLE_MS - 1);
    upstream.send('data: 3\n\n');
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect(ends).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ends.map((e) => e.reason)).toEqual(['stalled']);
    expect(upstream.cancelled?.message).toBe('upstream stream stalled');
    expect(client.text).toContain('"code":"stream_stalled"');
    expect(client.ended).toBe(true);
  });

  it('fails the client of a JSON array stream that breaks, since that framing has no error event', async () => {
    const { relay, upstream, head, ends } = relayOf(GEMINI_JSON_ARRAY);
    upstream.send('[{"candidates":[]}');
    await head;
    const client = new Client();
    relay.pipe(client);
    upstream.sink?.fail(new Error('reset'));
    expect(client.failed?.message).toBe('reset');
    expect(client.ended).toBe(false);
    expect(ends.map((e) => e.reason)).toEqual(['interrupted']);
  });

  it('cancels the upstream when the client leaves, and reports it once', async () => {
    const { relay, upstream, head, ends } = relayOf();
    upstream.send('data: 1\n\n');
    await head;
    const flow = relay.pipe(new Client());
    flow.cancel(new Error('client closed the stream'));
    flow.cancel(new Error('again'));
    upstream.sink?.end();
    expect(upstream.cancelled?.message).toBe('client closed the stream');
    expect(ends.map((e) => e.reason)).toEqual(['client-abort']);
  });

  it('abandons a refused stream without reporting it', async () => {
    const { relay, upstream, head, ends } = relayOf();
    upstream.send('<html>');
    await head;
    relay.abandon(new Error('upstream stream refused'));
    vi.advanceTimersByTime(IDLE_MS * 2);
    expect(upstream.cancelled?.message).toBe('upstream stream refused');
    expect(ends).toEqual([]);
  });
});
