/**
 * The multi-gateway harness on one SQLite file: a key added through one gateway is served by the
 * other once its snapshot refreshes, and a gateway killed with SIGKILL leaves the other serving.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { maskKey } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { until } from '../reliability/helpers.js';
import {
  sqliteClusterDatabase,
  startGatewayCluster,
  type GatewayCluster,
} from '../support/gateway-cluster.js';

const database = sqliteClusterDatabase();
let cluster: GatewayCluster | undefined;

afterAll(async () => {
  await cluster?.close();
  database.remove();
});

describe('two gateway processes on one SQLite file', () => {
  it('share keys added through either, and one goes on when the other is killed', async () => {
    cluster = await startGatewayCluster({ count: 2, database: database.env });
    expect((await cluster.admin(0)('PUT', '/config', { snapshot_refresh_seconds: 1 })).status).toBe(200);
    expect((await cluster.chat(1)).status).toBe(503);

    const key = fakeKey('shared-sqlite');
    const added = await cluster.admin(0)('POST', '/keys', { text: key });
    expect(added.body.added).toBe(1);
    await until(
      async () => (await cluster!.chat(1)).status === 200,
      'gateway 1 to serve the new key',
      15_000,
    );
    expect(cluster.mock.stats().byKey[maskKey(key)]).toBeGreaterThan(0);

    await cluster.kill(0);
    expect(cluster.gateways[0]!.child.signalCode).toBe('SIGKILL');
    expect((await cluster.chat(1)).status).toBe(200);
    await cluster.restart(0);
    expect((await cluster.chat(0)).status).toBe(200);
  }, 60_000);
});
