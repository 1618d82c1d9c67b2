/**
 * What three gateway processes on one PostgreSQL database do once between them: a per-key
 * `local_rpm_limit` of 10 with one key admits exactly 10 upstream calls in a minute (counted at the
 * mock upstream), not 10 per gateway; and periodic maintenance runs once per interval, not once per gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../reliability/helpers.js';
import { startGatewayCluster, type GatewayCluster } from '../support/gateway-cluster.js';
import { fakeKey } from '../support/keys.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';

const MAINTENANCE_MS = 1000;
let cluster: GatewayCluster | undefined;

afterAll(async () => {
  await cluster?.close();
});

/** Waits, if needed, so that the next `needMs` fall in one wall-clock minute (rpm windows are minutes). */
async function awayFromMinuteEnd(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 100));
}

describe.skipIf(postgresMissing())('limits and jobs over three gateways on one PostgreSQL database', () => {
  beforeAll(async () => {
    cluster = await startGatewayCluster({
      count: 3,
      database: { DATABASE_URL: await createTestDatabase() },
      keys: [fakeKey('shared-limit')],
      config: { local_rpm_limit: 10 },
      env: { MAINTENANCE_INTERVAL_MS: String(MAINTENANCE_MS) },
    });
  }, 90_000);

  it('admits exactly 10 upstream calls in a minute for a per-key rpm of 10', async () => {
    await awayFromMinuteEnd(20_000);
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        cluster!.chat(n % 3).then(async (r) => (await r.arrayBuffer(), r.status)),
      ),
    );
    expect(cluster!.mock.stats().requests).toBe(10);
    expect(answers.filter((s) => s === 200)).toHaveLength(10);
    expect(answers.filter((s) => s === 429)).toHaveLength(50);
  }, 60_000);

  it('runs maintenance once per interval across the three, under a lease', async () => {
    const runs = () =>
      cluster!.gateways
        .flatMap((g) => g.output().split('\n'))
        .filter((line) => line.includes('"event":"maintenance"'))
        .map((line) => JSON.parse(line) as { started_at: number; holder: string })
        .sort((x, y) => x.started_at - y.started_at);
    await until(() => runs().length >= 6, 'six maintenance runs', 30_000);
    const all = runs();
    // A run holds the lease for one interval, so runs are at least that far apart wherever they
    // happen; without the lease each of the three would run every interval.
    const gaps = all.slice(1).map((run, i) => run.started_at - all[i]!.started_at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MAINTENANCE_MS - 10);
    expect(cluster!.gateways.some((g) => g.output().includes('maintenance_failed'))).toBe(false);
  }, 60_000);
});
