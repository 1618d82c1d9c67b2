/**
 * Three gateway processes on one PostgreSQL database, in front of one mock upstream: what one
 * gateway learns or is told reaches the others within 1 s (observed in their in-memory snapshots
 * through the admin key list, polled every few ms), counters stay exact with three writers, and a
 * killed gateway stops only itself.
 * Every count is taken at the mock upstream or in the database, never from the gateways' answers alone.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresClient } from '../../src/storage/postgres/postgres-client.js';
import { maskKey } from '../fixtures/mock-gemini/index.js';
import { until } from '../reliability/helpers.js';
import { runLoad } from '../reliability/load-driver.js';
import {
  CLUSTER_ACCESS_TOKEN,
  startGatewayCluster,
  type GatewayCluster,
} from '../support/gateway-cluster.js';
import { fakeKey } from '../support/keys.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';
import { databaseCounts, flushedUpTo, observedWithin, snapshotKey } from './cluster-checks.js';

const KEYS = Array.from({ length: 12 }, (_, i) => fakeKey(`pgcluster${i}`));
/** The bound for a change made on one gateway to be honoured by the others. */
const PROPAGATION_MS = 1000;

let cluster: GatewayCluster | undefined;
let sql: Sql | undefined;

afterAll(async () => {
  await cluster?.close();
  await sql?.end({ timeout: 1 });
});

/** Chat requests through gateway `i`, one after the other; returns their statuses. */
async function sequential(i: number, count: number, model?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let n = 0; n < count; n++) {
    const res = await cluster!.chat(i, model ? { model } : {});
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

const uses = (key: string): number => cluster!.mock.stats().byKey[maskKey(key)] ?? 0;

describe.skipIf(postgresMissing())('three gateways on one PostgreSQL database', () => {
  beforeAll(async () => {
    const url = await createTestDatabase();
    sql = openPostgresClient(url, { max: 2, applicationName: 'cluster-test-reader' });
    // Maintenance (which may re-check disabled keys upstream) stays out of the counts; another file tests it.
    cluster = await startGatewayCluster({
      count: 3,
      database: { DATABASE_URL: url },
      keys: KEYS,
      env: { MAINTENANCE_INTERVAL_MS: '3600000' },
    });
  }, 120_000);

  it('serves a key added through one gateway from all three, each seeing it within 1 s', async () => {
    const added = fakeKey('pgcluster-added');
    const res = await cluster!.admin(0)('POST', '/keys', { text: added });
    expect(res.body.added).toBe(1);
    const seen = await observedWithin(PROPAGATION_MS, [1, 2], async (i) =>
      Boolean(await snapshotKey(cluster!, i, added)),
    );
    expect(seen).toBeLessThanOrEqual(PROPAGATION_MS);
    for (const i of [1, 2]) {
      const before = uses(added);
      expect(await sequential(i, KEYS.length + 1)).toEqual(Array(KEYS.length + 1).fill(200));
      expect(uses(added), `gateway ${i} sent the added key upstream`).toBeGreaterThan(before);
    }
  });

  it('never uses a key found invalid through one gateway on the others, from 1 s after', async () => {
    const bad = KEYS[0]!;
    cluster!.mock.setKey(bad, 'invalid');
    const unused = uses(bad);
    await until(
      async () => (await sequential(0, 1))[0] === 200 && uses(bad) > unused,
      'gateway 0 to hit the key',
    );
    const seen = await observedWithin(PROPAGATION_MS, [1, 2], async (i) => {
      const view = await snapshotKey(cluster!, i, bad);
      return view?.state === 'disabled';
    });
    expect(seen).toBeLessThanOrEqual(PROPAGATION_MS);
    const after = uses(bad);
    await Promise.all([sequential(1, 2 * KEYS.length), sequential(2, 2 * KEYS.length)]);
    expect(uses(bad)).toBe(after);
  });

  it('honours a 429 cooldown from one gateway on the others within 1 s, for that model only', async () => {
    const limited = KEYS[1]!;
    const model = 'gemini-2.5-pro';
    cluster!.mock.setKey(limited, { rateLimit: 'per_minute', models: [model], retryDelay: '40s' });
    const unused = uses(limited);
    await until(
      async () => (await sequential(0, 1, model))[0] === 200 && uses(limited) > unused,
      'gateway 0 to hit the 429',
    );
    const seen = await observedWithin(PROPAGATION_MS, [1, 2], async (i) => {
      const view = await snapshotKey(cluster!, i, limited);
      return Boolean(view?.cooldowns.some((c) => c.model === model));
    });
    expect(seen).toBeLessThanOrEqual(PROPAGATION_MS);
    const after = uses(limited);
    await Promise.all([sequential(1, 2 * KEYS.length, model), sequential(2, 2 * KEYS.length, model)]);
    expect(uses(limited)).toBe(after);
    cluster!.mock.setKey(limited, 'ok');
    await sequential(1, 2 * KEYS.length, 'gemini-2.5-flash');
    expect(uses(limited), 'the key still serves other models').toBeGreaterThan(after);
  });

  it('counts exactly with three writers: 3,000 requests with 20% faults leave one usage row per upstream attempt', async () => {
    await flushedUpTo(sql!, cluster!.mock);
    const before = await databaseCounts(sql!);
    cluster!.mock.reset();
    cluster!.mock.configure({ rate500: 0.1, rate503: 0.1, seed: 16 });
    const loads = await Promise.all(
      [0, 1, 2].map((i) =>
        runLoad({ url: cluster!.url(i), token: CLUSTER_ACCESS_TOKEN, total: 1000, concurrency: 6 }),
      ),
    );
    cluster!.mock.configure({ rate500: 0, rate503: 0 });
    for (const load of loads) {
      expect(load.malformed).toEqual([]);
      expect(load.transportErrors).toBe(0);
      expect(load.sent).toBe(1000);
    }
    const attempts = cluster!.mock.stats().requests;
    const faults = (cluster!.mock.stats().byStatus[500] ?? 0) + (cluster!.mock.stats().byStatus[503] ?? 0);
    expect(faults / attempts).toBeGreaterThan(0.1);
    const counts = await until(
      async () => {
        const now = await databaseCounts(sql!);
        return now.usageRows - before.usageRows >= attempts ? now : false;
      },
      'the gateways to flush',
      20_000,
    );
    expect(counts.usageRows - before.usageRows).toBe(attempts);
    expect(counts.totalRequests - before.totalRequests).toBe(attempts);
    // Three writers flushing the same keys at once never deadlock, so no flush had to be retried.
    for (const g of cluster!.gateways) expect(g.output()).not.toContain('flush_failed');
  }, 120_000);

  it('goes on serving through the others when one gateway is killed mid-load', async () => {
    await until(
      async () => (await databaseCounts(sql!)).usageRows >= cluster!.mock.stats().requests,
      'a flush',
    );
    const before = await databaseCounts(sql!);
    cluster!.mock.reset();
    const stop = new AbortController();
    const victim = runLoad({
      url: cluster!.url(2),
      token: CLUSTER_ACCESS_TOKEN,
      total: 100_000,
      concurrency: 4,
      signal: stop.signal,
    });
    const survivors = [0, 1].map((i) =>
      runLoad({ url: cluster!.url(i), token: CLUSTER_ACCESS_TOKEN, total: 600, concurrency: 4 }),
    );
    await until(() => cluster!.mock.stats().requests > 300, 'load to be under way', 30_000);
    await cluster!.kill(2);
    stop.abort();
    const [a, b] = await Promise.all(survivors);
    for (const load of [a!, b!]) {
      expect(load.malformed).toEqual([]);
      expect(load.transportErrors).toBe(0);
      expect(load.ok).toBe(600);
    }
    expect((await victim).transportErrors).toBeGreaterThanOrEqual(0);
    const attempts = cluster!.mock.stats().requests;
    // The killed gateway loses at most what it had not flushed; the survivors lose nothing.
    const counts = await until(
      async () => {
        const now = await databaseCounts(sql!);
        return now.usageRows - before.usageRows >= 1200 ? now : false;
      },
      'the survivors to flush',
      20_000,
    );
    expect(counts.usageRows - before.usageRows).toBeLessThanOrEqual(attempts);
    await cluster!.restart(2);
    expect((await cluster!.chat(2)).status).toBe(200);
  }, 120_000);
});
