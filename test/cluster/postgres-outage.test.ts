/**
 * PostgreSQL stopped for 10 s under load, then started again, under three gateway processes: they
 * keep answering from their snapshots, report `degraded` on /healthz (still 200), buffer their
 * writes, and once the server is back write everything they buffered: one usage row per upstream
 * attempt, exact total_requests. The server is this file's own, since stopping the shared one would
 * break other files' tests.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresClient } from '../../src/storage/postgres/postgres-client.js';
import { until } from '../reliability/helpers.js';
import { runLoad, type LoadResult } from '../reliability/load-driver.js';
import {
  CLUSTER_ACCESS_TOKEN,
  startGatewayCluster,
  type GatewayCluster,
} from '../support/gateway-cluster.js';
import { fakeKey } from '../support/keys.js';
import { findPostgresBinDir, startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import { databaseCounts } from './cluster-checks.js';

const binDir = findPostgresBinDir();
const OUTAGE_MS = 10_000;
let server: PostgresServer | undefined;
let cluster: GatewayCluster | undefined;
let sql: Sql | undefined;

afterAll(async () => {
  await cluster?.close();
  await sql?.end({ timeout: 1 });
  await server?.stop();
});

/** Gateway `i`'s /healthz; when the gateway cannot be reached, says whether it exited and what it printed. */
async function health(cluster: GatewayCluster, i: number): Promise<{ status: number; body: any }> {
  const gateway = cluster.gateways[i]!;
  try {
    const res = await fetch(`${cluster.url(i)}/healthz`);
    return { status: res.status, body: await res.json() };
  } catch (err) {
    await new Promise((r) => setTimeout(r, 500));
    const ended = gateway.child.exitCode ?? gateway.child.signalCode;
    throw new Error(`gateway ${i} unreachable (exit: ${ended}):\n${gateway.output().slice(-3000)}`, {
      cause: err,
    });
  }
}

describe.skipIf(binDir === null)('three gateways while PostgreSQL is stopped for 10 s', () => {
  beforeAll(async () => {
    server = await startPostgresServer(binDir!);
    sql = openPostgresClient(server.url, { max: 1, applicationName: 'outage-test-reader' });
    cluster = await startGatewayCluster({
      count: 3,
      database: { DATABASE_URL: server.url },
      keys: Array.from({ length: 8 }, (_, i) => fakeKey(`outage${i}`)),
    });
  }, 120_000);

  it('serves from snapshots, reports degraded, and writes every buffered row once the server is back', async () => {
    const before = await databaseCounts(sql!);
    const stop = new AbortController();
    const loads = [0, 1, 2].map((i) =>
      runLoad({
        url: cluster!.url(i),
        token: CLUSTER_ACCESS_TOKEN,
        total: 1_000_000,
        concurrency: 2,
        signal: stop.signal,
      }),
    );
    await until(() => cluster!.mock.stats().requests > 200, 'load to be under way', 30_000);
    await server!.pause();
    const stoppedAt = cluster!.mock.stats().requests;
    const degraded = await until(
      async () => {
        const all = await Promise.all([0, 1, 2].map((i) => health(cluster!, i)));
        return all.every((h) => h.body.status === 'degraded') ? all : false;
      },
      'every gateway to report degraded',
      OUTAGE_MS,
    );
    for (const h of degraded) expect(h.status).toBe(200);
    await until(
      () => cluster!.mock.stats().requests > stoppedAt + 300,
      'requests served during the outage',
      OUTAGE_MS,
    );
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const duringOutage = cluster!.mock.stats().requests - stoppedAt;
    await server!.resume();
    await new Promise((r) => setTimeout(r, 1000));
    stop.abort();
    const results: LoadResult[] = await Promise.all(loads);
    for (const load of results) {
      expect(load.malformed).toEqual([]);
      expect(load.transportErrors).toBe(0);
      expect(load.byStatus).toEqual({ 200: load.sent });
      expect(load.ok).toBe(load.sent);
    }
    expect(duringOutage).toBeGreaterThan(300);
    const attempts = cluster!.mock.stats().requests;
    const counts = await until(
      async () => {
        const now = await databaseCounts(sql!).catch(() => null);
        return now && now.usageRows - before.usageRows >= attempts ? now : false;
      },
      'the buffered writes to land',
      60_000,
    );
    expect(counts.usageRows - before.usageRows).toBe(attempts);
    expect(counts.totalRequests - before.totalRequests).toBe(attempts);
    await until(
      async () =>
        (await Promise.all([0, 1, 2].map((i) => health(cluster!, i)))).every((h) => h.body.status === 'ok'),
      'every gateway to report ok again',
      30_000,
    );
  }, 150_000);
});
