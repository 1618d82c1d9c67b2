/** Raw HTTP/1.1 over a socket, for requests `fetch` refuses to send (bad framing, odd paths, header abuse). */
import { connect } from 'node:net';

export interface RawAnswer {
  /** 0 when the server closed the connection without answering. */
  status: number;
  head: string;
  body: string;
}

/**
 * Writes `request` as is and reads until the server closes the connection (send `Connection:
 * close`). The socket is not half-closed: a half-closed client may get no answer at all.
 */
export function rawRequest(port: number, request: string | Uint8Array, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split === -1 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.write(request);
  });
}
