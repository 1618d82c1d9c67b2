import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';
import { describe, expect, it } from 'vitest';
import { UpstreamConnectError } from '../core/upstream-connect-error.js';
import { describeConnectFailure, finalConnector } from './undici-connect.js';

const coded = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
const OPTS = { hostname: 'gemini.example', host: 'gemini.example', protocol: 'https:', port: '' };

/** Runs `connector` once and resolves with what it called back. */
function connectWith(connector: buildConnector.connector): Promise<[Error | null, unknown]> {
  return new Promise((resolve) => connector(OPTS, (err, socket) => resolve([err, socket])));
}

describe('describeConnectFailure', () => {
  it('names each cause from codes and statuses, never from the proxy URL', () => {
    const cases: Array<[Error, boolean, string]> = [
      [
        coded('UND_ERR_ABORTED', 'Proxy response (407) !== 200 when HTTP Tunneling'),
        true,
        'the outbound proxy refused the tunnel: 407',
      ],
      [
        coded('UND_ERR_SOCKET', 'other side closed http://user:pw@proxy'),
        true,
        'the outbound proxy closed the connection instead of opening a tunnel',
      ],
      [coded('ECONNREFUSED'), true, 'the outbound proxy refused the connection (ECONNREFUSED)'],
      [coded('ENOTFOUND'), true, "the outbound proxy's host does not resolve (ENOTFOUND)"],
      [coded('ENOTFOUND'), false, 'the upstream host gemini.example does not resolve (ENOTFOUND)'],
      [coded('ECONNREFUSED'), false, 'gemini.example refused the connection (ECONNREFUSED)'],
      [
        coded('ERR_SSL_WRONG_VERSION_NUMBER'),
        true,
        'the TLS handshake with gemini.example failed (ERR_SSL_WRONG_VERSION_NUMBER)',
      ],
      [coded('ECONNRESET'), false, 'gemini.example closed the connection before it was ready (ECONNRESET)'],
      [
        coded('EHOSTUNREACH'),
        true,
        'could not connect to gemini.example through the outbound proxy (EHOSTUNREACH)',
      ],
      [new Error('no code'), false, 'could not connect to gemini.example (unknown error)'],
    ];
    for (const [err, viaProxy, text] of cases) {
      expect(describeConnectFailure(err, 'gemini.example', viaProxy)).toBe(text);
    }
  });
});

describe('finalConnector', () => {
  it('turns every error into a final UpstreamConnectError, UND_ERR_SOCKET included', async () => {
    const [err] = await connectWith(
      finalConnector((_o, cb) => cb(coded('UND_ERR_SOCKET'), null), 5000, true),
    );
    expect(err).toBeInstanceOf(UpstreamConnectError);
    expect(err).toMatchObject({ code: 'UPSTREAM_CONNECT_FAILED', timedOut: false });
  });

  it('hands the socket on when the connection opens', async () => {
    const socket = { destroy: () => undefined } as unknown as Socket;
    expect(await connectWith(finalConnector((_o, cb) => cb(null, socket), 5000, false))).toEqual([
      null,
      socket,
    ]);
  });

  it('gives up after the timeout, and closes a socket that opens later', async () => {
    let late: ((err: null, socket: Socket) => void) | null = null;
    const [err] = await connectWith(finalConnector((_o, cb) => (late = cb as typeof late), 20, false));
    expect(err).toMatchObject({ timedOut: true, message: 'no connection to gemini.example within 20 ms' });
    let destroyed = false;
    late!(null, { destroy: () => (destroyed = true) } as unknown as Socket);
    expect(destroyed).toBe(true);
  });

  it("reports undici's own connect timeout as a timeout", async () => {
    const connector = finalConnector((_o, cb) => cb(coded('UND_ERR_CONNECT_TIMEOUT'), null), 5000, true);
    const [err] = await connectWith(connector);
    expect(err).toMatchObject({
      timedOut: true,
      message: 'no tunnel through the outbound proxy within 5000 ms',
    });
  });
});
