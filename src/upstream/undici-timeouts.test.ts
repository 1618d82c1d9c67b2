/**
 * The undici adapter keeps no time limit of its own: `request_timeout_ms` may be up to 600 s,
 * and undici's default headers and body timeouts (300 s) must not end a request first. A fake
 * clock runs the timers; the sockets are real. (Its own file: undici's timer wheel starts on first
 * use, and must start under the fake clock.)
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CancelSource } from '../core/cancel.js';
import { createUndiciUpstream } from './undici.js';

let server: Server;
let base = '';
const held: ServerResponse[] = [];
let arrived: () => void = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    held.push(res);
    // /body sends its headers and then nothing; /silent sends nothing at all.
    if (req.url === '/body') res.writeHead(200, { 'content-type': 'application/json' }).write('{');
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Advances the fake clock by `ms` in steps, letting socket I/O and undici's timer ticks run. */
async function elapse(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10_000) await vi.advanceTimersByTimeAsync(10_000);
}

function watch(promise: Promise<unknown>): { state: () => string } {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    (err: Error) => (state = `rejected: ${err.message}`),
  );
  return { state: () => state };
}

describe('createUndiciUpstream time limits', () => {
  // One fake clock for the whole file: undici's timer wheel, once started, stays on the clock it started on.
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('waits past 300 s for the response headers until the caller cancels', async () => {
    const seen = new Promise<void>((resolve) => (arrived = resolve));
    const upstream = createUndiciUpstream({ origin: base });
    const cancel = new CancelSource();
    const response = watch(upstream.request({ method: 'GET', url: `${base}/silent`, headers: {}, cancel }));
    await seen;
    await elapse(320_000);
    expect(response.state()).toBe('pending');
    cancel.cancel(new Error('attempt timed out'));
    await vi.advanceTimersByTimeAsync(0);
    expect(response.state()).toBe('rejected: attempt timed out');
    await upstream.close().catch(() => undefined);
  });

  it('waits past 300 s for the rest of a body until the caller cancels', async () => {
    const upstream = createUndiciUpstream({ origin: base });
    const cancel = new CancelSource();
    const res = await upstream.request({ method: 'GET', url: `${base}/body`, headers: {}, cancel });
    const body = watch(res.bytes());
    await elapse(320_000);
    expect(body.state()).toBe('pending');
    cancel.cancel(new Error('attempt timed out'));
    await vi.advanceTimersByTimeAsync(0);
    expect(body.state()).toMatch(/^rejected/);
  });
});
