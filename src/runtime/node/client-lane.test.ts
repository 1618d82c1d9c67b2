import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pipeToResponse } from './client-lane.js';
import { HandSource } from '../../../test/support/hand-source.js';

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

let server: Server | undefined;
let client: Socket | undefined;

afterEach(async () => {
  client?.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = client = undefined;
});

/** A server answering every request with `source`, and a raw client that has sent one request. */
async function serve(source: HandSource): Promise<Socket> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    pipeToResponse(res, source);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  client = socket;
  await until(() => source.sink !== null, 'the body to be piped');
  return socket;
}

describe('pipeToResponse', () => {
  it('pauses the body while the client does not read, resumes it on drain, and delivers every byte', async () => {
    const source = new HandSource();
    const socket = await serve(source);
    socket.pause();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let written = 0;
    while (source.sink!.write(chunk)) {
      written += 1;
      if (written > 10_000) throw new Error('the response never pushed back');
    }
    written += 1;
    expect(source.resumes).toBe(0);

    let received = 0;
    socket.on('data', (data: Buffer) => (received += data.byteLength));
    socket.resume();
    await until(() => source.resumes === 1, 'a resume after drain');
    source.sink!.end();
    // Chunked framing adds a few bytes per chunk on top of the payload.
    await until(() => received >= written * chunk.byteLength, 'every byte');
    expect(source.cancelled).toBeNull();
  });

  it('cancels the body when the client leaves mid-stream', async () => {
    const source = new HandSource();
    const socket = await serve(source);
    source.sink!.write(new TextEncoder().encode('data: 1\n\n'));
    socket.destroy();
    await until(() => source.cancelled !== null, 'the body to be cancelled');
    expect(source.cancelled?.message).toBe('client closed the stream');
  });

  it('does not cancel a body that ended', async () => {
    const source = new HandSource();
    const socket = await serve(source);
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    source.sink!.write(new TextEncoder().encode('data: done\n\n'));
    source.sink!.end();
    await until(() => text.endsWith('0\r\n\r\n'), 'the last chunk');
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(text).toContain('data: done');
    expect(source.cancelled).toBeNull();
  });
});
