/** Drives a Worker from inside workerd: requests with a real ExecutionContext, the mock's control API, D1 reads. */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { WorkerHandlers } from '../../src/runtime/worker/worker.js';

export const ORIGIN = 'https://gateway.test';
export const ADMIN_TOKEN = 'worker-test-admin-token';
export const ACCESS_TOKEN = 'worker-test-access-token';

/** Sends a request through `worker.fetch` and waits for everything it deferred with `waitUntil`. */
export async function call(
  worker: Pick<WorkerHandlers, 'fetch'>,
  request: Request,
  bindings = env,
): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, bindings, ctx);
  // Reading the body first: a streamed response's writes are deferred until it ends.
  const body = await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

export function adminRequest(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Request {
  return new Request(`${ORIGIN}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function chatRequest(body: Record<string, unknown>, token = ACCESS_TOKEN): Request {
  return new Request(`${ORIGIN}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A well-formed, distinct Gemini-style key (39 characters); `tag` keeps files apart at the shared mock. */
export function geminiKey(tag: string, i: number): string {
  const body = `${tag}${i.toString(36)}`.replace(/[^A-Za-z0-9]/g, '').padStart(12, '0');
  return `AIzaSy${'x'.repeat(33 - body.length)}${body}`;
}

/** An upstream request as the Worker sent it, for tests that wrap the Worker's upstream `fetch`. */
export interface SentUpstream {
  url: string;
  key: string | null;
  authorization: string | null;
  body: string;
}

/** Records `request` (built from `init`, whose body the Worker passes as bytes) as a `SentUpstream`. */
export function sentUpstream(request: Request, init?: RequestInit): SentUpstream {
  return {
    url: request.url,
    key: request.headers.get('x-goog-api-key'),
    authorization: request.headers.get('authorization'),
    body: init?.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : '',
  };
}

type Behavior =
  string | { rateLimit: 'per_minute' | 'per_day' | 'bare'; models?: string[]; retryDelay?: string };

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${env.MOCK_GEMINI_URL}/__mock/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`mock control ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * The mock upstream's control API. One mock serves every worker test file, and files run in
 * parallel: give each file its own keys (see `geminiKey`), and do not change global settings.
 */
export const mock = {
  setKey: (apiKey: string, behavior: Behavior) => control('keys', { apiKey, behavior }),
  stats: () => control('stats') as Promise<{ requests: number; byKey: Record<string, number> }>,
};

/** The mock's name for a key in its stats. */
export function masked(apiKey: string): string {
  return `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}

/** Rows of a D1 query against the test database. */
export async function rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]> {
  return (
    await env.LOG.prepare(sql)
      .bind(...params)
      .all<T>()
  ).results;
}

/** A key as the admin API lists it (the fields worker tests read). */
export interface AdminKey {
  id: number;
  key: string;
  state: string;
  consecutive_errors: number;
  cooldowns: Array<{ model: string; reason: string }>;
  disabled: { by: string; reason: string } | null;
}

/** Admin API steps against one Worker: calls, replacing the pool's keys, reading a key and usage. */
export function poolAdmin(worker: Pick<WorkerHandlers, 'fetch'>) {
  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await call(worker, adminRequest(method, path, body));
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  const listKeys = async (): Promise<AdminKey[]> =>
    (await admin('GET', '/admin/api/keys?page_size=500')).keys;
  return {
    admin,
    /** Replaces the pool's keys with `keys`, each with its behaviour at the mock. */
    async useKeys(keys: Array<[string, Behavior]>): Promise<void> {
      const existing = await listKeys();
      if (existing.length > 0) {
        await admin('POST', '/admin/api/keys/bulk', { action: 'delete', ids: existing.map((k) => k.id) });
      }
      for (const [key, behavior] of keys) await mock.setKey(key, behavior);
      const added = await admin('POST', '/admin/api/keys', { keys: keys.map(([api_key]) => ({ api_key })) });
      if (added.added !== keys.length) throw new Error(`added ${added.added} of ${keys.length} keys`);
    },
    async keyState(apiKey: string): Promise<AdminKey> {
      return (await listKeys()).find((k) => k.key.endsWith(apiKey.slice(-4)))!;
    },
    async lastUsage(endpoint: string): Promise<Record<string, any>> {
      return (await admin('GET', `/admin/api/usage?limit=1&endpoint=${endpoint}`)).usage[0];
    },
  };
}
