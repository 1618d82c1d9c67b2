import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelSource, type Cancellation } from '../core/cancel.js';
import { readableFrom, type ChunkSink } from '../core/chunk-flow.js';
import { startBlackhole } from '../../test/support/unreachable.js';
import type { Upstream } from '../core/ports.js';
import { createFetchUpstream } from './fetch.js';
import { createUndiciUpstream } from './undici.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base = '';
const handlers = new Map<string, Handler>();
/** Resolves when the server sees the client go away on a path. */
const closed = new Map<string, () => void>();

const ignoringSink: ChunkSink = { write: () => true, end: () => {}, fail: () => {} };

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

const decoder = new TextDecoder();
const never = () => new CancelSource();
/** A GET of `path` on the test server, with no body. */
const get = (upstream: Upstream, path: string, cancel: Cancellation = never()) =>
  upstream.request({ method: 'GET', url: `${base}${path}`, headers: {}, cancel });
const undici = () => createUndiciUpstream({ origin: base });

/** The port's contract, held by both adapters: fetch (Workers) and undici (Node). */
describe.each([
  ['fetch', (): Upstream => createFetchUpstream()],
  ['undici', (origin: string): Upstream => createUndiciUpstream({ origin })],
])('Upstream contract: %s', (_name, make) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = make(base);
  });

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
      cancel: never(),
    });
    expect(res.status).toBe(201);
    expect(res.headers['x-echo-method']).toBe('POST');
    expect(res.headers['content-type']).toBe('application/json');
    expect(Object.keys(res.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(JSON.parse(decoder.decode(await res.bytes()))).toEqual({ body: '{"a":1}', auth: 'Bearer k1' });
  });

  it('resolves HTTP errors rather than rejecting', async () => {
    handlers.set('/err', (_req, res) => res.writeHead(429, { 'content-type': 'application/json' }).end('{}'));
    const res = await get(upstream, '/err');
    expect(res.status).toBe(429);
    expect(decoder.decode(await res.bytes())).toBe('{}');
  });

  it('rejects bytes() when the connection drops mid-body', async () => {
    handlers.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.destroy(), 10);
    });
    const res = await get(upstream, '/cut');
    await expect(res.bytes()).rejects.toThrow();
  });

  it('refuses a second read of one body', async () => {
    handlers.set('/twice', (_req, res) => res.writeHead(200).end('ok'));
    const res = await get(upstream, '/twice');
    expect(decoder.decode(await res.bytes())).toBe('ok');
    expect(() => res.pipe(ignoringSink)).toThrow(/already consumed/);
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
      cancel: never(),
    });
    let text = '';
    for await (const chunk of readableFrom(res)) text += decoder.decode(chunk, { stream: true });
    expect(text).toBe('data: 1\n\ndata: 2\n\n');
  });

  it('aborts the upstream request when the stream is cancelled', async () => {
    handlers.set('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    });
    const gone = onClose('/endless');
    const res = await get(upstream, '/endless');
    const reader = readableFrom(res).getReader();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('data: first\n\n');
    await reader.cancel();
    await gone;
  });

  it('rejects when the connection is refused', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(
      make(`http://127.0.0.1:${port}`).request({
        method: 'GET',
        url: `http://127.0.0.1:${port}/`,
        headers: {},
        cancel: never(),
      }),
    ).rejects.toThrow();
  });

  it('rejects at once when the request is cancelled while its connection is still being opened', async () => {
    const blackhole = await startBlackhole();
    const target = `http://127.0.0.1:${blackhole.port}`;
    try {
      const cancel = new CancelSource();
      const pending = make(target).request({ method: 'GET', url: `${target}/`, headers: {}, cancel });
      const outcome = pending.then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      cancel.cancel(new Error('attempt timed out'));
      // Well before any connect timeout (undici's is 10 s): the cancellation itself settles it.
      const late = new Promise((resolve) => setTimeout(() => resolve('still pending'), 3000));
      expect(await Promise.race([outcome, late])).toBe('attempt timed out');
    } finally {
      await blackhole.close();
    }
  });

  it('rejects when the request is cancelled while waiting for the response headers', async () => {
    let arrived!: () => void;
    const seen = new Promise<void>((resolve) => (arrived = resolve));
    handlers.set('/hang', () => arrived());
    const cancel = new CancelSource();
    const gone = onClose('/hang');
    const pending = get(upstream, '/hang', cancel);
    await seen;
    cancel.cancel(new Error('timed out'));
    await expect(pending).rejects.toThrow('timed out');
    await gone;
  });

  it('rejects bytes() when the request is cancelled mid-body', async () => {
    handlers.set('/half', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    const cancel = new CancelSource();
    const res = await get(upstream, '/half', cancel);
    const body = res.bytes();
    cancel.cancel(new Error('timed out'));
    await expect(body).rejects.toThrow();
  });

  it('stops reading while its sink refuses chunks, and delivers every byte after resume()', async () => {
    const frame = `data: ${'x'.repeat(1000)}\n\n`;
    const frames = 20_000;
    let sent = 0;
    handlers.set('/paced', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pump = (): void => {
        while (sent < frames) {
          sent += 1;
          if (!res.write(frame)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      // The body starts after the sink is connected, so it meets a pause while streaming.
      res.flushHeaders();
      setTimeout(pump, 30);
    });
    const res = await get(upstream, '/paced');
    let received = 0;
    let taking = false;
    let resolveEnd!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnd = resolve));
    const flow = res.pipe({
      write(chunk) {
        received += chunk.byteLength;
        return taking;
      },
      end: () => resolveEnd(),
      fail: (err) => {
        throw err;
      },
    });
    // Wait until the server can no longer write: every socket buffer between us is full.
    let last = -1;
    while (sent !== last) {
      last = sent;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sent).toBeLessThan(frames);
    // What the source had read before it paused still arrives: at most about one socket read.
    expect(received).toBeLessThan(256 * 1024);

    taking = true;
    flow.resume();
    await ended;
    expect(received).toBe(frames * frame.length);
  });

  it('fails the sink when the connection drops mid-stream', async () => {
    handlers.set('/dropped', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.destroy(), 10);
    });
    const res = await get(upstream, '/dropped');
    const outcome = await new Promise<string>((resolve) => {
      let text = '';
      res.pipe({
        write(chunk) {
          text += decoder.decode(chunk);
          return true;
        },
        end: () => resolve(`ended after ${text}`),
        fail: () => resolve(`failed after ${text}`),
      });
    });
    expect(outcome).toBe('failed after data: 1\n\n');
  });

  it('rejects at once when the request is already cancelled', async () => {
    const cancel = new CancelSource();
    cancel.cancel(new Error('already'));
    await expect(get(upstream, '/echo', cancel)).rejects.toThrow('already');
  });
});

describe('createFetchUpstream', () => {
  const upstream = createFetchUpstream();

  it('drops content-encoding and content-length of a body fetch has decoded', async () => {
    const plain = JSON.stringify({ text: 'x'.repeat(2000) });
    handlers.set('/gzip', (_req, res) => {
      const zipped = gzipSync(plain);
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(zipped.length) });
      res.end(zipped);
    });
    const res = await get(upstream, '/gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    expect(decoder.decode(await res.bytes())).toBe(plain);
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
      cancel: never(),
    });
    expect(seen).toEqual(['GET https://example.invalid/v1beta/models']);
    expect(res.headers['x-fake']).toBe('1');
    expect(decoder.decode(await res.bytes())).toBe('ok');
  });
});

describe('createUndiciUpstream', () => {
  it('refuses a request for an origin other than its own', async () => {
    const upstream = createUndiciUpstream({ origin: 'http://127.0.0.1:9' });
    await expect(get(upstream, '/echo')).rejects.toThrow(/only http:\/\/127.0.0.1:9/);
  });

  it('delivers every byte of a streamed body its reader is slower than', async () => {
    const frame = `data: ${'x'.repeat(1000)}\n\n`;
    handlers.set('/flood', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const pump = (): void => {
        while (sent < 2000) {
          sent += 1;
          if (!res.write(frame)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const res = await get(undici(), '/flood');
    const reader = readableFrom(res).getReader();
    await new Promise((resolve) => setTimeout(resolve, 50));
    let size = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.byteLength;
    expect(size).toBe(2000 * frame.length);
  });
});
