/**
 * The Node upstream client on undici's `Pool.request` (about 5× the throughput of `fetch` as a
 * proxy transport, measured on this project's machines). Honours HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY through undici's `EnvHttpProxyAgent` when any of them is set.
 */
import { EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import type { Upstream, UpstreamRequest, UpstreamResponse } from '../core/ports.js';

export interface UndiciUpstreamOptions {
  /** Upstream origin, e.g. `https://generativelanguage.googleapis.com`. */
  origin: string;
  /** Open connections to the upstream. */
  connections?: number;
  /** Route through the proxy named by the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`). */
  useEnvProxy?: boolean;
}

type Body = Dispatcher.ResponseData['body'];

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A pull-based web stream over the body's async iterator; cancelling it destroys the body (and so the request). */
function webStream(body: Body): ReadableStream<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else
          controller.enqueue(value instanceof Uint8Array ? value : new TextEncoder().encode(String(value)));
      } catch (err) {
        controller.error(err);
      }
    },
    cancel() {
      body.destroy();
    },
  });
}

function wrap(data: Dispatcher.ResponseData): UpstreamResponse {
  const { body } = data;
  return {
    status: data.statusCode,
    headers: flattenHeaders(data.headers),
    bytes: async () => new Uint8Array(await body.arrayBuffer()),
    stream: () => webStream(body),
    discard: () => {
      body.destroy();
    },
  };
}

export function createUndiciUpstream(opts: UndiciUpstreamOptions): Upstream & { close(): Promise<void> } {
  const origin = new URL(opts.origin).origin;
  const dispatcher: Dispatcher = opts.useEnvProxy
    ? new EnvHttpProxyAgent({ connections: opts.connections ?? 256 })
    : new Pool(origin, { connections: opts.connections ?? 256, pipelining: 1, keepAliveTimeout: 30_000 });
  return {
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      const url = new URL(req.url);
      const data = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
      });
      return wrap(data);
    },
    close: () => dispatcher.close(),
  };
}

/** True when the environment names an outbound proxy. */
export function envProxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}
