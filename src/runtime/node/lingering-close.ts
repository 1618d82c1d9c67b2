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
  if (req.complete || req.destroyed) {
    res.end();
    return;
  }
  let discarded = 0;
  const done = () => {
    clearTimeout(total);
    clearTimeout(quiet);
    req.off('data', onData);
    req.off('end', done);
    req.off('close', done);
    if (!res.writableEnded) res.end();
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.byteLength;
    if (discarded > limits.maxBytes) return done();
    quiet.refresh();
  };
  const total = setTimeout(done, limits.maxMs);
  const quiet = setTimeout(done, limits.quietMs);
  req.on('data', onData);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}
