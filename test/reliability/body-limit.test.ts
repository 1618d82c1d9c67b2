/**
 * A body over `MAX_BODY_MB` gets a 413 the client can read: Node's fetch (undici) sends its whole
 * body before it reads the answer, so the gateway must keep reading (and dropping) the rest
 * instead of closing on it, which would reset the connection and leave only "fetch failed".
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

const MB = 1024 * 1024;

let mock: MockGemini;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: [fakeKey('body-limit')],
    env: { MAX_BODY_MB: '20' },
  });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

/** A body of `size` bytes, in 1 MiB chunks, sent without a declared length. */
function chunked(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MB).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

/**
 * A client that sends its whole request before it reads anything: it does not read the socket until
 * every byte is written. Resolves with what it then reads, or the error that ended the connection.
 */
function sendAllThenRead(port: number, head: string, body: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.pause();
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err) => resolve(`error: ${err.message}`));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(head);
    socket.write(body, () => socket.resume());
  });
}

describe('a body over MAX_BODY_MB', () => {
  it('answers a client that reads only after sending everything, then closes', async () => {
    const size = 60 * MB;
    const head =
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n' +
      `authorization: Bearer ${gw.accessToken}\r\ncontent-length: ${size}\r\n\r\n`;
    const answer = await sendAllThenRead(Number(new URL(gw.url).port), head, new Uint8Array(size).fill(0x20));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"request_too_large"');
  });

  it('answers such a client on the Hono path too (a request with an Origin)', async () => {
    const size = 60 * MB;
    const head =
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\norigin: http://app.example\r\n' +
      `authorization: Bearer ${gw.accessToken}\r\ncontent-length: ${size}\r\n\r\n`;
    const answer = await sendAllThenRead(Number(new URL(gw.url).port), head, new Uint8Array(size).fill(0x20));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"request_too_large"');
  });

  it('answers Node’s fetch sending 60 MB with a 413 it can read, in the OpenAI shape', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
      body: new Uint8Array(60 * MB).fill(0x20),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('request_too_large');
    expect(body.error.message).toContain('20 MiB (MAX_BODY_MB)');
  });

  it('answers a browser-style request (with an Origin, served by the Hono path) with a readable 413 and CORS headers', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${gw.accessToken}`,
        'content-type': 'application/json',
        origin: 'http://app.example',
      },
      body: new Uint8Array(60 * MB).fill(0x20),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('access-control-allow-origin')).not.toBeNull();
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('request_too_large');
  });

  it('answers a chunked 60 MB native request with a 413 in Google’s shape', async () => {
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.accessToken, 'content-type': 'application/json' },
      body: chunked(60 * MB),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: number; status: string; message: string } };
    expect(body.error).toMatchObject({ code: 413, status: 'INVALID_ARGUMENT' });
    expect(body.error.message).toContain('MAX_BODY_MB');
  });

  it('keeps serving, and takes a body just under the limit', async () => {
    const padding = 'x'.repeat(19 * MB);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'hi' }],
        metadata: { padding },
      }),
    });
    expect(res.status).toBe(200);
  });
});
