import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerThenDiscardBody } from './lingering-close.js';

let server: Server | null = null;
const discardedBytes: number[] = [];

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

/** A server that refuses every body with a 413 and lingers with small limits; resolves its port. */
async function lingeringServer(limits: {
  maxBytes: number;
  maxMs: number;
  quietMs: number;
}): Promise<number> {
  server = createServer((req, res) => {
    let seen = 0;
    req.on('data', (chunk: Buffer) => (seen += chunk.byteLength));
    res.once('finish', () => discardedBytes.push(seen));
    res.writeHead(413, { 'content-length': '4', connection: 'close' });
    answerThenDiscardBody(req, res, 'nope', limits);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as AddressInfo).port;
}

/** Sends a head announcing `declared` bytes and then `send` bytes; resolves what came back once the server closed. */
function client(port: number, declared: number, send: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\ncontent-length: ${declared}\r\n\r\n`);
    socket.write(new Uint8Array(send));
  });
}

describe('answerThenDiscardBody', () => {
  it('answers at once, and closes once a client that stopped sending has been quiet for the quiet limit', async () => {
    const port = await lingeringServer({ maxBytes: 1 << 20, maxMs: 60_000, quietMs: 100 });
    const answer = await client(port, 1_000_000, 1000);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.endsWith('nope')).toBe(true);
  });

  it('closes after the byte limit, having discarded no more than about that much', async () => {
    discardedBytes.length = 0;
    const port = await lingeringServer({ maxBytes: 64 * 1024, maxMs: 60_000, quietMs: 60_000 });
    await client(port, 100 * 1024 * 1024, 8 * 1024 * 1024);
    expect(discardedBytes[0]).toBeGreaterThan(64 * 1024);
    expect(discardedBytes[0]).toBeLessThan(8 * 1024 * 1024);
  });

  it('closes after the total time limit while a client keeps trickling', async () => {
    const port = await lingeringServer({ maxBytes: 1 << 30, maxMs: 300, quietMs: 60_000 });
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 1000000\r\n\r\n');
    const trickle = setInterval(() => socket.write('x'), 20);
    await closed;
    clearInterval(trickle);
    expect(socket.destroyed).toBe(true);
  });
});
