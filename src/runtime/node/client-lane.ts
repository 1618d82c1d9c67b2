/**
 * The Node client lane: serves client API requests straight from `node:http`, with no web
 * `Request`, `Response` or Hono context in between. The same `ClientApi` answers them as on every
 * other path; only the carrying differs. Requests the lane does not claim (admin, panel, CORS,
 * unusual paths) go on to the Hono app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CancelSource, type Cancellation } from '../../core/cancel.js';
import type { ChunkSource } from '../../core/chunk-flow.js';
import { matchClientRequest, type ClientApi } from '../../http/client-api.js';
import { bodyTooLarge, concatChunks, type ClientRequest } from '../../http/client-request.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { isStreamBody, type Reply } from '../../forward/reply.js';
import { answerThenDiscardBody } from './lingering-close.js';

/**
 * Whether the raw request target is a plain origin-form path the lane can match as it is. Anything
 * needing normalisation (dot segments, `%` escapes, doubled or back slashes) is left to the web URL
 * parser on the Hono path, so both paths always agree on which route a request reaches.
 */
function isPlainPath(path: string): boolean {
  return (
    path.charCodeAt(0) === 47 &&
    !path.includes('%') &&
    !path.includes('/.') &&
    !path.includes('//') &&
    !path.includes('\\')
  );
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const closed = () => reject(new GatewayError(499, 'Client closed the request', 'client_closed'));
    req.on('data', onData);
    req.once('end', () => resolve(concatChunks(chunks, size)));
    req.once('error', closed);
    req.once('close', () => {
      if (!req.complete) closed();
    });
  });
}

function nodeClientRequest(
  req: IncomingMessage,
  path: string,
  query: string,
  gone: Cancellation,
  defer: (work: Promise<unknown>) => void,
): ClientRequest {
  const headers = req.headers;
  return {
    method: req.method ?? 'GET',
    path,
    query,
    header: (name) => {
      const value = headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    body: (limit) => readBody(req, limit),
    // A Node request is an async iterable of its chunks, read with backpressure.
    stream: () => req,
    // The Node server speaks plain HTTP; TLS, if any, ends at a proxy in front of it.
    origin: () => `http://${headers.host ?? 'localhost'}`,
    gone,
    defer,
  };
}

/** Pushes a streamed body into `res` as it arrives; a full socket buffer pauses the source until 'drain'. */
export function pipeToResponse(res: ServerResponse, body: ChunkSource): void {
  let waitingForDrain = false;
  const flow = body.pipe({
    write(chunk) {
      if (res.write(chunk)) return true;
      if (!waitingForDrain) {
        waitingForDrain = true;
        res.once('drain', () => {
          waitingForDrain = false;
          flow.resume();
        });
      }
      return false;
    },
    end: () => res.end(),
    // The body failed after the headers went out: all that is left is to cut the connection.
    fail: () => res.destroy(),
  });
  // A client that leaves mid-stream cancels the body, which cancels the upstream read.
  const gone = () => flow.cancel(new Error('client closed the stream'));
  if (res.destroyed) gone();
  else
    res.once('close', () => {
      if (!res.writableFinished) gone();
    });
}

function writeReply(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const { body } = reply;
  if (isStreamBody(body)) {
    res.writeHead(reply.status, reply.headers);
    pipeToResponse(res, body);
    return;
  }
  const payload = body ?? '';
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const headers = { ...reply.headers, 'content-length': String(length) };
  if (reply.status === 413) {
    // The rest of a refused oversized body is read and dropped, then the connection closes.
    res.writeHead(reply.status, { ...headers, connection: 'close' });
    answerThenDiscardBody(req, res, payload);
    return;
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * Returns a handler that serves the request and returns true, or returns false (having touched
 * nothing) when the request is not the lane's to serve.
 */
export function createClientLane(
  api: ClientApi,
  defer: (work: Promise<unknown>) => void,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '';
    // Browsers get CORS headers from the Hono path.
    if (req.headers.origin !== undefined) return false;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (!isPlainPath(path)) return false;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') return false;
    const match = matchClientRequest(method, path);
    if (!match?.route) return false;

    const gone = new CancelSource();
    res.once('close', () => {
      if (!res.writableFinished) gone.cancel(new Error('client closed the request'));
    });
    const clientRequest = nodeClientRequest(req, path, q === -1 ? '' : url.slice(q + 1), gone, defer);
    // handle() answers every failure with a reply; what is left (a reply Node refuses to write) cuts the connection.
    void api
      .handle(clientRequest, match)
      .then((reply) => writeReply(req, res, reply))
      .catch(() => res.destroy());
    return true;
  };
}
