/** Shared helpers of the reliability tests: requests, database reads, polling and a spawned gateway. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { bundleNodeEntry } from '../../scripts/build-node.js';

export const MODEL = 'gemini-2.5-flash';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Sends a chat completion to the gateway with an access token. */
export function chat(
  url: string,
  token: string,
  opts: { stream?: boolean; model?: string; content?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: opts.model ?? MODEL,
      messages: [{ role: 'user', content: opts.content ?? 'hello there' }],
      ...(opts.stream ? { stream: true } : {}),
    }),
    signal: opts.signal,
  });
}

export interface UsageRow {
  id: number;
  api_key_id: number;
  endpoint: string;
  model: string | null;
  response_status: number;
  outcome: string;
  tokens_used: number;
  prompt_tokens: number;
  completion_tokens: number;
  attempt: number;
  error: string | null;
}

/** Reads the database with a separate read-only connection (WAL lets it see committed rows). */
export function readDb<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function usageRows(path: string): UsageRow[] {
  return readDb(path, (db) => db.prepare('SELECT * FROM api_key_usage ORDER BY id').all() as UsageRow[]);
}

/** The two numbers that must match the upstream's received count: Σ total_requests and usage rows. */
export function dbCounts(path: string): { totalRequests: number; usageRows: number } {
  return readDb(path, (db) => {
    const total = db.prepare('SELECT COALESCE(SUM(total_requests), 0) AS n FROM api_keys').get() as {
      n: number;
    };
    const usage = db.prepare('SELECT COUNT(*) AS n FROM api_key_usage').get() as { n: number };
    return { totalRequests: total.n, usageRows: usage.n };
  });
}

/** Polls `check` until it returns a value other than undefined/false; rejects after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port that was free a moment ago (the spawned gateway cannot report a port 0 choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SpawnedGateway {
  url: string;
  child: ChildProcess;
  /** Everything the process printed, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** Runs what `npm start` runs (the bundled server) as a real process on `port`, without waiting for it. */
export async function spawnServer(port: number, env: Record<string, string>): Promise<SpawnedGateway> {
  const bundle = await bundleNodeEntry();
  const child = spawn(process.execPath, [bundle], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { url: `http://127.0.0.1:${port}`, child, output: () => output, exited };
}

/** Runs what `npm start` runs (the bundled server) as a real process and waits until it answers. */
export async function spawnGateway(env: Record<string, string>): Promise<SpawnedGateway> {
  const spawned = await spawnServer(await freePort(), env);
  let ended = false;
  void spawned.exited.then(() => (ended = true));
  await until(
    async () => {
      if (ended) throw new Error(`gateway exited during start:\n${spawned.output()}`);
      const res = await fetch(`${spawned.url}/healthz`).catch(() => null);
      return res?.status === 200;
    },
    'the spawned gateway to answer /healthz',
    20_000,
  );
  return spawned;
}
