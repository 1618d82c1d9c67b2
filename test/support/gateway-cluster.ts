/**
 * Several real gateway processes (the bundle `npm start` runs) on one database, in front of one mock
 * upstream: the harness of the multi-gateway tests. The database is whatever `database` selects:
 * `{ DATABASE_URL: 'postgres://…' }` or `{ DATABASE_PATH: '/tmp/…/pool.sqlite' }`. A gateway can be
 * killed with SIGKILL and another started in its place.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockGemini, type MockGemini, type MockOptions } from '../fixtures/mock-gemini/index.js';
import { chat, spawnGateway, type SpawnedGateway } from '../reliability/helpers.js';
import { adminApi, type AdminCall } from './admin-api.js';

export const CLUSTER_ADMIN_TOKEN = 'cluster-admin-token-0123456789';
export const CLUSTER_ACCESS_TOKEN = 'cluster-access-token-0123456789';

export interface GatewayClusterOptions {
  /** How many gateways to start. */
  count: number;
  /** The environment that selects the shared database: DATABASE_URL or DATABASE_PATH. */
  database: Record<string, string>;
  /** Keys imported from GEMINI_API_KEYS at start (duplicates across gateways are ignored). */
  keys?: string[];
  /** More environment for every gateway (FLUSH_INTERVAL_MS is 100 unless given). */
  env?: Record<string, string>;
  /** Runtime config set through the first gateway before the others start (they load it at start). */
  config?: Record<string, string | number>;
  /** Settings of the mock upstream this harness starts. */
  mock?: Partial<MockOptions>;
}

export interface GatewayCluster {
  mock: MockGemini;
  /** By index; a killed gateway stays in its slot until `restart` replaces it. */
  gateways: SpawnedGateway[];
  url(i: number): string;
  /** The admin API of gateway `i`. */
  admin(i: number): AdminCall;
  /** A chat completion through gateway `i` with the cluster's access token (or `token`). */
  chat(i: number, opts?: { token?: string; model?: string; stream?: boolean }): Promise<Response>;
  /** SIGKILL, as a crash: no flush, no shutdown. Resolves once the process is gone. */
  kill(i: number): Promise<void>;
  /** SIGTERM, as an orderly stop: the gateway flushes and exits. */
  stop(i: number): Promise<void>;
  /** Starts a fresh gateway process in slot `i` (after kill or stop). */
  restart(i: number): Promise<SpawnedGateway>;
  /** Ends every gateway still running (SIGKILL) and the mock. */
  close(): Promise<void>;
}

/** A SQLite file in a temp dir as the shared database, with its removal. */
export function sqliteClusterDatabase(): { env: Record<string, string>; path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gkp-cluster-'));
  const path = join(dir, 'pool.sqlite');
  return {
    env: { DATABASE_PATH: path },
    path,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function ended(g: SpawnedGateway, signal: NodeJS.Signals): Promise<void> {
  if (g.child.exitCode !== null || g.child.signalCode !== null) return;
  g.child.kill(signal);
  await g.exited;
}

/**
 * Starts the mock and `count` gateways. The first starts alone (it applies the migrations and
 * imports the keys) and takes `config`; the others start together.
 */
export async function startGatewayCluster(opts: GatewayClusterOptions): Promise<GatewayCluster> {
  const mock = await startMockGemini(opts.mock);
  const env: Record<string, string> = {
    ...opts.database,
    UPSTREAM_BASE_URL: mock.url,
    ADMIN_TOKEN: CLUSTER_ADMIN_TOKEN,
    ACCESS_TOKENS: CLUSTER_ACCESS_TOKEN,
    GEMINI_API_KEYS: (opts.keys ?? []).join(','),
    FLUSH_INTERVAL_MS: '100',
    ...opts.env,
  };
  const gateways: SpawnedGateway[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(gateways.map((g) => ended(g, 'SIGKILL')));
    await mock.close();
  };
  try {
    if (opts.count > 0) gateways.push(await spawnGateway(env));
    if (opts.config && gateways[0]) {
      const res = await adminApi(gateways[0].url, CLUSTER_ADMIN_TOKEN)('PUT', '/config', opts.config);
      if (res.status !== 200) throw new Error(`config refused: ${JSON.stringify(res.body)}`);
    }
    gateways.push(...(await Promise.all(Array.from({ length: opts.count - 1 }, () => spawnGateway(env)))));
  } catch (err) {
    await close();
    throw err;
  }
  const at = (i: number): SpawnedGateway => {
    const g = gateways[i];
    if (!g) throw new Error(`no gateway ${i} in a cluster of ${gateways.length}`);
    return g;
  };
  return {
    mock,
    gateways,
    url: (i) => at(i).url,
    admin: (i) => adminApi(at(i).url, CLUSTER_ADMIN_TOKEN),
    chat: (i, o = {}) => chat(at(i).url, o.token ?? CLUSTER_ACCESS_TOKEN, o),
    kill: (i) => ended(at(i), 'SIGKILL'),
    stop: (i) => ended(at(i), 'SIGTERM'),
    async restart(i) {
      await ended(at(i), 'SIGKILL');
      gateways[i] = await spawnGateway(env);
      return gateways[i];
    },
    close,
  };
}
