/**
 * The Node floor: the least a Node proxy can do, as a reference for what the gateway costs beyond
 * Node itself. `node:http` in, undici's `Pool.dispatch` out (the gateway's own transport), bytes
 * passed through as they arrive, and nothing else: no auth, no key, no parsing, no usage.
 *
 * CLI: `node --import tsx bench/node-floor.ts --port N --upstream http://127.0.0.1:M`
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { listenAndAnnounce } from './announce.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } },
});
if (!values.upstream) throw new Error('--upstream is required');
const pool = new Pool(values.upstream, { connections: 4096, pipelining: 1 });

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    pool.dispatch(
      {
        path: req.url ?? '/',
        method: req.method === 'POST' ? 'POST' : 'GET',
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      },
      {
        // undici takes a handler for its new (controller-based) API only when it has this method.
        onRequestStart() {},
        onResponseStart(_controller, status, resHeaders) {
          const type = resHeaders['content-type'];
          res.writeHead(status, typeof type === 'string' ? { 'content-type': type } : {});
        },
        onResponseData(_controller, chunk) {
          res.write(chunk);
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError() {
          res.destroy();
        },
      },
    );
  });
});
listenAndAnnounce(server, Number(values.port));
process.once('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
});
