import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchUpstream } from './fetch.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base = '';
const handlers = new Map<string, Handler>();
/** Resolves when the server sees the client go away on a path. */
const closed = new Map<string, () => void>();

function onClose(path: string): Promise<void> {
  return new Promise((resolve) => closed.set(path, resolve));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      res.on('close', () => closed.get(path)?.());
      const handler = handlers.get(path);
      if (handler) handler(req, res, Buffer.concat(chunks).toString('utf8'));
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const upstream = createFetchUpstream();
const decoder = new TextDecoder();

describe('createFetchUpstream', () => {
  it('sends method, headers and body, and returns status, lower-case headers and bytes', async () => {
    handlers.set('/echo', (req, res, body) => {
      res.writeHead(201, { 'X-Echo-Method': req.method ?? '', 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ body, auth: req.headers['authorization'] }));
    });
    const res = await upstream.request({
      method: 'POST',
      url: `${base}/echo`,
      headers: { authorization: 'Bearer k1', 'content-type': 'application/json' },
      body: new TextEncoder().encode('{"a":1}'),
      signal: new AbortController().signal,
    });
    expect(res.status).toBe(201);
    expect(res.headers['x-echo-method']).toBe('POST');
    expect(res.headers['content-type']).toBe('application/json');
    expect(Object.keys(res.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(JSON.parse(decoder.decode(await res.bytes()))).toEqual({ body: '{"a":1}', auth: 'Bearer k1' });
  });

  it('resolves HTTP errors rather than rejecting', async () => {
    handlers.set('/err', (_req, res) => res.writeHead(429, { 'content-type': 'application/json' }).end('{}'));
    const res = await upstream.request({
      method: 'GET',
      url: `${base}/err`,
      headers: {},
      signal: new AbortController().signal,
    });
    expect(res.status).toBe(429);
    expect(decoder.decode(await res.bytes())).toBe('{}');
  });

  it('drops content-encoding and content-length of a body fetch has decoded', async () => {
    const plain = JSON.stringify({ text: 'x'.repeat(2000) });
    handlers.set('/gzip', (_req, res) => {
      const zipped = gzipSync(plain);
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(zipped.length) });
      res.end(zipped);
    });
    const res = await upstream.request({
      method: 'GET',
      url: `${base}/gzip`,
      headers: {},
      signal: new AbortController().signal,
    });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    expect(decoder.decode(await res.bytes())).toBe(plain);
  });

  it('streams chunks as they arrive', async () => {
    handlers.set('/sse', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 20);
    });
    const res = await upstream.request({
      method: 'POST',
      url: `${base}/sse`,
      headers: {},
      body: '{}',
      signal: new AbortController().signal,
    });
    let text = '';
    for await (const chunk of res.stream()) text += decoder.decode(chunk, { stream: true });
    expect(text).toBe('data: 1\n\ndata: 2\n\n');
  });

  it('aborts the upstream request when the stream is cancelled', async () => {
    handlers.set('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    });
    const gone = onClose('/endless');
    const res = await upstream.request({
      method: 'GET',
      url: `${base}/endless`,
      headers: {},
      signal: new AbortController().signal,
    });
    const reader = res.stream().getReader();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('data: first\n\n');
    await reader.cancel();
    await gone;
  });

  it('discard() releases the connection without reading', async () => {
    handlers.set('/discard', (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"error":');
    });
    const gone = onClose('/discard');
    const res = await upstream.request({
      method: 'GET',
      url: `${base}/discard`,
      headers: {},
      signal: new AbortController().signal,
    });
    expect(res.status).toBe(500);
    res.discard();
    await gone;
    expect(() => res.stream()).toThrow(/already consumed/);
  });

  it('rejects when the connection is refused', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(
      upstream.request({
        method: 'GET',
        url: `http://127.0.0.1:${port}/`,
        headers: {},
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow();
  });

  it('rejects when the signal aborts before the response headers', async () => {
    handlers.set('/hang', () => {});
    const ac = new AbortController();
    const pending = upstream.request({ method: 'GET', url: `${base}/hang`, headers: {}, signal: ac.signal });
    const gone = onClose('/hang');
    ac.abort(new Error('timed out'));
    await expect(pending).rejects.toThrow();
    await gone;
  });

  it('rejects bytes() when the signal aborts mid-body', async () => {
    handlers.set('/half', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    const ac = new AbortController();
    const res = await upstream.request({
      method: 'GET',
      url: `${base}/half`,
      headers: {},
      signal: ac.signal,
    });
    const body = res.bytes();
    ac.abort(new Error('timed out'));
    await expect(body).rejects.toThrow();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('already'));
    await expect(
      upstream.request({ method: 'GET', url: `${base}/echo`, headers: {}, signal: ac.signal }),
    ).rejects.toThrow();
  });

  it('uses the injected fetch', async () => {
    const seen: string[] = [];
    const fake: typeof fetch = async (input, init) => {
      seen.push(`${init?.method} ${String(input)}`);
      return new Response('ok', { status: 200, headers: { 'X-Fake': '1' } });
    };
    const res = await createFetchUpstream(fake).request({
      method: 'GET',
      url: 'https://example.invalid/v1beta/models',
      headers: {},
      body: 'ignored for GET',
      signal: new AbortController().signal,
    });
    expect(seen).toEqual(['GET https://example.invalid/v1beta/models']);
    expect(res.headers['x-fake']).toBe('1');
    expect(decoder.decode(await res.bytes())).toBe('ok');
  });
});
