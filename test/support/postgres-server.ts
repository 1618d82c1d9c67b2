/**
 * A throwaway PostgreSQL server for tests: one cluster per test run (started by
 * test/support/postgres-global-setup.ts), one database per test file (`createTestDatabase()`).
 *
 * The cluster lives in a fresh temporary directory, listens on 127.0.0.1 on a free port with its
 * unix socket inside that directory, runs with `fsync=off` (nothing in it must survive), and is
 * stopped and deleted at the end of the run. PostgreSQL refuses to run as root, so when the tests
 * run as root the server binaries run as the `postgres` user through `runuser`.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { inject } from 'vitest';
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/support/postgres-global-setup.ts: the test cluster's superuser URL, or null without PostgreSQL. */
    postgresUrl: string | null;
  }
}

/** The key the global setup provides the cluster's URL under (`inject(POSTGRES_URL_KEY)`). */
export const POSTGRES_URL_KEY = 'postgresUrl' as const;

const SUPERUSER = 'postgres';

export interface PostgresServer {
  /** Superuser URL of the `postgres` database, e.g. `postgres://postgres@127.0.0.1:54321/postgres`. */
  url: string;
  /** The directory of the server binaries (`psql`, `pg_ctl`, …). */
  binDir: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
  /** Shuts the server down (fast: connections are cut), keeping its data, as an outage would. */
  pause(): Promise<void>;
  /** Starts a paused server again, on the same port, with its data. */
  resume(): Promise<void>;
}

/**
 * The newest installed PostgreSQL's `bin` directory (Debian: /usr/lib/postgresql/<major>/bin), or
 * `POSTGRES_BIN_DIR` when set; null when there is no `initdb`.
 */
export function findPostgresBinDir(): string | null {
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(root, majors[0]!, 'bin') : null;
}

/** Starts a fresh cluster in a temporary directory. Throws (with the server log) when it cannot. */
export async function startPostgresServer(binDir: string): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gkp-postgres-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', SUPERUSER, '--', join(binDir, tool), ...args]] : [join(binDir, tool), args];
  const failed = (tool: string, status: unknown, output: string): Error => {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return new Error(`${tool} failed (${String(status)}): ${output}\n${log}`);
  };
  const run = (tool: string, args: string[]): void => {
    const [cmd, argv] = command(tool, args);
    const result = spawnSync(cmd, argv, { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    if (result.status !== 0)
      throw failed(tool, result.status ?? result.signal, result.stderr + result.stdout);
  };
  // Without blocking the event loop: a test's in-process mock upstream keeps answering meanwhile.
  const runAsync = async (tool: string, args: string[]): Promise<void> => {
    const [cmd, argv] = command(tool, args);
    await promisify(execFile)(cmd, argv, { cwd: dir, timeout: 60_000 }).catch((err: Error) => {
      throw failed(tool, (err as { code?: unknown }).code, err.message);
    });
  };
  try {
    run('initdb', ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ].join(' ');
    let paused = false;
    const start = ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options];
    run('pg_ctl', start);
    return {
      url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
      binDir,
      stop: async () => {
        try {
          if (!paused) run('pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', dataDir]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      pause: async () => {
        await runAsync('pg_ctl', ['stop', '-m', 'fast', '-w', '-D', dataDir]);
        paused = true;
      },
      resume: async () => {
        await runAsync('pg_ctl', start);
        paused = false;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The test cluster's superuser URL, or null when PostgreSQL is not installed (tests then skip). */
export function postgresUrl(): string | null {
  return inject(POSTGRES_URL_KEY) ?? null;
}

/** True when this run has no PostgreSQL: use as `describe.skipIf(postgresMissing())`. */
export function postgresMissing(): boolean {
  return postgresUrl() === null;
}

let databases = 0;

/**
 * Creates an empty database with a unique name on the test cluster and returns its URL. Each test
 * file calls it for its own databases; the cluster (and every database in it) is deleted at the end
 * of the run.
 */
export async function createTestDatabase(): Promise<string> {
  const base = postgresUrl();
  if (!base)
    throw new Error('no PostgreSQL test server in this run (see test/support/postgres-global-setup.ts)');
  const name = `gkp_test_${process.pid}_${Date.now().toString(36)}_${++databases}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
