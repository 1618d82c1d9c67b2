/**
 * Ends a response sent before its request body was read to the end (a 413), the way nginx's
 * lingering close does: the answer goes out at once, then the rest of the body is read and thrown
 * away before the connection closes. Closing with unread bytes makes the kernel reset the
 * connection, and a client still sending (Node's fetch, most SDKs) then loses the answer and sees
 * only a network error. The discarding is bounded in bytes and in time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LingerLimits {
  /** Bytes of the rest of the body read and discarded at most. */
  maxBytes: number;
  /** Time spent discarding at most, in milliseconds. */
  maxMs: number;
  /** Longest quiet time between two chunks, in milliseconds. */
  quietMs: number;
}

/** Like nginx's defaults (lingering_time 30 s, lingering_timeout 5 s), plus a byte cap. */
export const LINGER_LIMITS: LingerLimits = { maxBytes: 256 * 1024 * 1024, maxMs: 30_000, quietMs: 5_000 };

/**
 * Writes `payload` as the whole answer (headers already set, `connection: close`), then ends the
 * response once the request body has ended, or a limit is reached, whichever comes first.
 */
export function answerThenDiscardBody(
  req: IncomingMessage,
  res: ServerResponse,
  payload: string | Uint8Array,
  limits: LingerLimits = LINGER_LIMITS,
): void {
  res.write(payload);
  discardBodyThen(req, limits, () => {
    if (!res.writableEnded) res.end();
  });
}

/**
 * The same for a response another layer writes and ends itself (the Hono app, through
 * `@hono/node-server`): when it answers 413 before the request body has ended, the answer goes out
 * with `connection: close` and its end is held back while the rest of the body is discarded.
 * Install before handing the request on.
 */
export function lingerOnEarlyRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  limits: LingerLimits = LINGER_LIMITS,
): void {
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => ServerResponse;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let lingering = false;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    lingering = status === 413 && !req.complete && !req.destroyed;
    if (lingering) res.setHeader('connection', 'close');
    return writeHead(status, ...rest);
  }) as ServerResponse['writeHead'];
  res.end = ((...args: unknown[]) => {
    if (!lingering) return end(...args);
    lingering = false;
    const [chunk] = args;
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) res.write(chunk);
    discardBodyThen(req, limits, () => end());
    return res;
  }) as ServerResponse['end'];
}

/** Reads and drops the rest of the request body, within `limits`, then calls `done` once. */
function discardBodyThen(req: IncomingMessage, limits: LingerLimits, done: () => void): void {
  if (req.complete || req.destroyed) {
    done();
    return;
  }
  let discarded = 0;
  const finish = () => {
    clearTimeout(total);
    clearTimeout(quiet);
    req.off('data', onData);
    req.off('end', finish);
    req.off('close', finish);
    done();
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.byteLength;
    if (discarded > limits.maxBytes) return finish();
    quiet.refresh();
  };
  const total = setTimeout(finish, limits.maxMs);
  const quiet = setTimeout(finish, limits.quietMs);
  req.on('data', onData);
  req.once('end', finish);
  req.once('close', finish);
  req.resume();
}
