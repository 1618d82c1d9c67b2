/**
 * The Node gateway as a benchmark target: `src/runtime/node/main.ts` in its own process with a
 * fresh SQLite file (or the database `database` selects), usage tracking on (the default), and fake
 * keys imported through the admin API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_ENTRY } from '../scripts/build-node.js';
import { extraNodeFlags, freePort, spawnBundled, spawnServer, waitForPort, type Child } from './processes.js';

export const ACCESS_TOKEN = 'bench-access-token-0123456789abcdef';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const IMPORT_BATCH = 5000;

export interface GatewayProcess extends Child {
  url: string;
  port: number;
  /** Seconds the admin API took to import the keys. */
  importSeconds: number;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `count` distinct, deterministic fake keys: `AIza` + 35 characters. */
export function fakeKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    let x = Math.imul(i + 1, 0x9e3779b1) >>> 0;
    let tail = '';
    for (let j = 0; j < 20; j++) {
      x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
      tail += KEY_ALPHABET[x & 63];
    }
    return `AIzaSyBench${String(i).padStart(8, '0')}${tail}`;
  });
}

async function importKeys(url: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += IMPORT_BATCH) {
    const res = await fetch(`${url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: keys.slice(i, i + IMPORT_BATCH).join('\n') }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`key import answered ${res.status}: ${text.slice(0, 300)}`);
    const { added, duplicates, invalid } = JSON.parse(text) as Record<string, number>;
    if (invalid || duplicates || added !== Math.min(IMPORT_BATCH, keys.length - i)) {
      throw new Error(`key import: ${added} added, ${duplicates} duplicates, ${invalid} invalid`);
    }
  }
}

/** Calls the admin API of a running gateway; throws unless it answers `expect`. Returns the JSON body. */
export async function adminCall(
  url: string,
  method: string,
  path: string,
  body: unknown,
  expect: number,
): Promise<unknown> {
  const res = await fetch(`${url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect)
    throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Creates an access token with `rules` (the admin API's fields) on a running gateway; returns its secret. */
export async function createToken(url: string, rules: Record<string, unknown>): Promise<string> {
  return ((await adminCall(url, 'POST', '/tokens', rules, 201)) as { secret: string }).secret;
}

/** Sets `pool_config` values on a running gateway through the admin API. */
export async function setConfig(url: string, values: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/admin/api/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(values),
  });
  if (res.status !== 200)
    throw new Error(`config answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

/**
 * Starts a gateway in front of `upstreamUrl` holding `keyCount` fake keys: this checkout's server, or
 * an already built `bundle` (another commit's, for `npm run bench:ab`). `database` (e.g.
 * `{ DATABASE_URL: 'postgres://…' }`) replaces the fresh SQLite file; a second gateway on a database
 * that holds the keys already is started with `keyCount` 0.
 */
export async function startGateway(
  name: string,
  upstreamUrl: string,
  keyCount: number,
  opts: { database?: Record<string, string>; bundle?: string } = {},
): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const port = await freePort();
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    ...(opts.database ?? { DATABASE_PATH: join(dir, 'pool.sqlite') }),
    UPSTREAM_BASE_URL: upstreamUrl,
    ADMIN_TOKEN,
    ACCESS_TOKENS: ACCESS_TOKEN,
    LOG_REQUESTS: '0',
  };
  const child = opts.bundle
    ? spawnServer(name, process.execPath, [...extraNodeFlags(name), opts.bundle], env)
    : await spawnBundled(name, SERVER_ENTRY, [], env);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForPort(port, child);
    const started = performance.now();
    await importKeys(url, fakeKeys(keyCount));
    const importSeconds = (performance.now() - started) / 1000;
    return {
      ...child,
      url,
      port,
      importSeconds,
      async stop(graceMs?: number) {
        await child.stop(graceMs);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
