/**
 * Loopback stand-ins for the ways an upstream can be out of reach: an outbound proxy that
 * misbehaves on CONNECT (or tunnels properly), a plain TCP server where TLS is expected, and a
 * listening socket that never accepts. Each counts the connections it receives.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'close' | '403' | '407' | 'silent' | 'tunnel';

export interface CountingServer {
  url: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Connections still open. */
  open(): number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, counted: { n: number }): Promise<CountingServer> {
  server.on('connection', (socket) => {
    counted.n += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => counted.n,
    open: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const REFUSALS = {
  '403': 'HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n',
  '407':
    'HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="p"\r\ncontent-length: 0\r\n\r\n',
};

/**
 * An HTTP proxy on loopback. `close` drops a CONNECT unanswered, `403`/`407` refuse it, `silent`
 * never answers, `tunnel` opens the tunnel to the requested loopback port (and nothing else).
 * Plain (non-CONNECT) requests get a 502, as a misconfigured proxy would answer.
 */
export function startFakeProxy(mode: ProxyMode): Promise<CountingServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.once('data', (head: Buffer) => {
      const line = head.toString('latin1').split('\r\n', 1)[0] ?? '';
      const connectTo = /^CONNECT 127\.0\.0\.1:(\d+) /.exec(line);
      if (!line.startsWith('CONNECT ')) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      } else if (mode === 'close') socket.destroy();
      else if (mode === '403' || mode === '407') socket.end(REFUSALS[mode]);
      else if (mode === 'tunnel' && connectTo) {
        const target = connect(Number(connectTo[1]), '127.0.0.1', () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          socket.pipe(target).pipe(socket);
        });
        target.on('error', () => socket.destroy());
        socket.on('close', () => target.destroy());
      } else if (mode === 'tunnel') socket.end(REFUSALS['403']);
      // silent: say nothing, keep the connection open
    });
  });
  return listen(server, sockets, { n: 0 });
}

/** A plain TCP server that answers whatever arrives (a TLS ClientHello included) with an HTTP 400. */
export function startPlainServer(): Promise<CountingServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.once('data', () =>
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
    );
  });
  return listen(server, sockets, { n: 0 });
}

export interface Blackhole {
  port: number;
  close(): Promise<void>;
}

const BLACKHOLE_CHILD = `
const net = require('node:net');
const server = net.createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.send(server.address().port, () => {
    // Block the event loop without spending CPU: the socket is never accepted from again.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
});
`;

/**
 * A loopback port whose connects never complete: a child process listens with a backlog of one
 * and never accepts, and the queue is filled here, so the kernel drops further SYNs.
 */
export async function startBlackhole(): Promise<Blackhole> {
  const child = spawn(process.execPath, ['-e', BLACKHOLE_CHILD], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`blackhole exited: ${code}`)));
  });
  const fillers: Socket[] = [];
  // The backlog holds one or two completed handshakes; a connect still pending after 300 ms proves it is full.
  for (let i = 0; i < 8; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    if (!connected) break;
  }
  return {
    port,
    async close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    },
  };
}
