/** Starts the real Node gateway on a temporary SQLite file for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminApi, type AdminCall } from './admin-api.js';
import { readNodeSettings } from '../../src/runtime/node/env.js';
import { startNodeGateway as startServer, type RunningGateway } from '../../src/runtime/node/server.js';

export interface TestGateway {
  url: string;
  adminToken: string;
  accessToken: string;
  databasePath: string;
  running: RunningGateway;
  /** Every log line the gateway wrote, for assertions (e.g. that no key leaks). */
  logs: string[];
  /** Calls the admin API with the admin token. */
  admin: AdminCall;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  upstreamUrl: string;
  keys?: string[];
  config?: Record<string, string | number>;
  env?: Record<string, string>;
  /** Keep the database file after close (crash and restart tests). */
  databasePath?: string;
}

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const ACCESS_TOKEN = 'test-access-token-0123456789';

export async function startNodeGateway(opts: TestGatewayOptions): Promise<TestGateway> {
  const dir = opts.databasePath ? null : mkdtempSync(join(tmpdir(), 'gkp-test-'));
  const databasePath = opts.databasePath ?? join(dir!, 'pool.sqlite');
  const settings = readNodeSettings({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: databasePath,
    UPSTREAM_BASE_URL: opts.upstreamUrl,
    ADMIN_TOKEN,
    ACCESS_TOKENS: ACCESS_TOKEN,
    GEMINI_API_KEYS: (opts.keys ?? []).join('\n'),
    FLUSH_INTERVAL_MS: '50',
    ...opts.env,
  });
  const logs: string[] = [];
  const running = await startServer(settings, { logger: (entry) => logs.push(JSON.stringify(entry)) });
  const url = running.url;
  const admin = adminApi(url, ADMIN_TOKEN);
  if (opts.config) {
    const res = await admin('PUT', '/config', opts.config);
    if (res.status !== 200) throw new Error(`config rejected: ${JSON.stringify(res.body)}`);
  }
  return {
    url,
    adminToken: ADMIN_TOKEN,
    accessToken: ACCESS_TOKEN,
    databasePath,
    running,
    logs,
    admin,
    async close() {
      await running.shutdown();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
