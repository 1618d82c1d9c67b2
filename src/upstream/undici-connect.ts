/**
 * Opening a connection to the upstream, directly or through an HTTP(S) proxy's CONNECT tunnel, so
 * that every failure is final, bounded in time and named.
 *
 * undici 7 treats a connect error coded `UND_ERR_SOCKET` as recoverable: the client keeps the
 * queued request and reconnects at once, with no backoff. Its `ProxyAgent` reports a proxy that
 * closes the CONNECT with exactly that code, so one request became hundreds of connections a
 * second, forever. Every error leaving this connector is an `UpstreamConnectError` instead, which
 * fails the queued requests. A proxy that never answers the CONNECT would wait for undici's 300 s
 * headers timeout; the connect timeout here covers the whole of it (proxy connection, tunnel, TLS),
 * and the connection to the proxy gives up with it too (`clientFactory` in undici.ts).
 */
import type { buildConnector } from 'undici';
import { UpstreamConnectError } from '../core/upstream-connect-error.js';

/** undici's own default, kept: long enough for a slow TLS handshake, short enough to fail over. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

type Connector = buildConnector.connector;

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;
/** How `ProxyAgent` words a CONNECT answered with anything but 200. */
const TUNNEL_REFUSED = /Proxy response \((\d{3})\)/;

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/**
 * What went wrong, for the client's error message and the usage row: built from error codes and
 * statuses only. `host` is the upstream host, which is not secret; the proxy's URL is never named.
 */
export function describeConnectFailure(err: unknown, host: string, viaProxy: boolean): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : '';
  const refused = TUNNEL_REFUSED.exec(message);
  if (refused) return `the outbound proxy refused the tunnel: ${refused[1]}`;
  if (viaProxy && (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_INFO'))
    return 'the outbound proxy closed the connection instead of opening a tunnel';
  if (viaProxy && code === 'ECONNREFUSED') return 'the outbound proxy refused the connection (ECONNREFUSED)';
  if (viaProxy && (code === 'ENOTFOUND' || code === 'EAI_AGAIN'))
    return `the outbound proxy's host does not resolve (${code})`;
  if (TLS_CODE.test(code) || code === 'UND_ERR_PRX_TLS')
    return `the TLS handshake with ${host} failed (${code})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the upstream host ${host} does not resolve (${code})`;
  if (code === 'ECONNREFUSED') return `${host} refused the connection (ECONNREFUSED)`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
    return `${host} closed the connection before it was ready (${code})`;
  return `could not connect to ${host}${viaProxy ? ' through the outbound proxy' : ''} (${code})`;
}

/**
 * Wraps `connect` (undici's direct connector, or the tunnel connector `ProxyAgent` hands its pools)
 * so that it always ends within `timeoutMs`, with an `UpstreamConnectError`. Runs once per new
 * connection, never per request on a kept-alive one.
 */
export function finalConnector(connect: Connector, timeoutMs: number, viaProxy: boolean): Connector {
  return (opts, callback) => {
    let settled = false;
    const timedOut = (): UpstreamConnectError => {
      const what = viaProxy ? 'no tunnel through the outbound proxy' : `no connection to ${opts.hostname}`;
      return new UpstreamConnectError(`${what} within ${timeoutMs} ms`, true);
    };
    const timer = setTimeout(() => {
      settled = true;
      callback(timedOut(), null);
    }, timeoutMs);
    connect(opts, (err, socket) => {
      if (settled) {
        socket?.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (!err) callback(null, socket!);
      // undici's own connect timer, set to the same limit, may fire first.
      else if (codeOf(err) === 'UND_ERR_CONNECT_TIMEOUT') callback(timedOut(), null);
      else
        callback(new UpstreamConnectError(describeConnectFailure(err, opts.hostname, viaProxy), false), null);
    });
  };
}
