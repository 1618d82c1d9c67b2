/** What the multi-gateway tests read: a gateway's in-memory view of a key, database counts, and propagation times. */
import type { Sql } from 'postgres';
import type { KeyView } from '../../src/http/key-view.js';
import { maskKey, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { until } from '../reliability/helpers.js';
import type { GatewayCluster } from '../support/gateway-cluster.js';

/**
 * Gateway `i`'s view of `apiKey` from its admin key list, which is read from its in-memory snapshot
 * (not from the database); undefined while the snapshot does not hold the key.
 */
export async function snapshotKey(
  cluster: GatewayCluster,
  i: number,
  apiKey: string,
): Promise<KeyView | undefined> {
  const res = await cluster.admin(i)('GET', `/keys?q=&page_size=500`);
  if (res.status !== 200) throw new Error(`gateway ${i} key list answered ${res.status}`);
  const masked = maskKey(apiKey);
  return (res.body.keys as KeyView[]).find((k) => k.key === masked);
}

/**
 * Polls `check` on each gateway in `gateways` every few ms until it holds on all of them, and returns
 * how long that took in ms; throws once `boundMs` × 5 has passed, so a miss reports how far off it was.
 */
export async function observedWithin(
  boundMs: number,
  gateways: number[],
  check: (i: number) => Promise<boolean>,
): Promise<number> {
  const started = performance.now();
  const pending = new Set(gateways);
  while (pending.size > 0) {
    for (const i of [...pending]) if (await check(i)) pending.delete(i);
    const elapsed = performance.now() - started;
    if (pending.size > 0 && elapsed > boundMs * 5) {
      throw new Error(
        `gateways ${[...pending].join(', ')} had not shown the change after ${elapsed.toFixed(0)} ms`,
      );
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - started;
}

/** Usage rows and the sum of the keys' total_requests, read from PostgreSQL. */
export async function databaseCounts(sql: Sql): Promise<{ usageRows: number; totalRequests: number }> {
  const [row] = await sql.unsafe<Array<{ usage_rows: number; total_requests: number }>>(
    `SELECT (SELECT count(*) FROM api_key_usage)::int AS usage_rows,
            (SELECT COALESCE(sum(total_requests), 0) FROM api_keys)::int AS total_requests`,
  );
  return { usageRows: row!.usage_rows, totalRequests: row!.total_requests };
}

/**
 * Waits until every attempt the mock has received is a usage row in the database (the gateways have
 * flushed), so that counts taken next start from a quiet point.
 */
export async function flushedUpTo(sql: Sql, mock: MockGemini): Promise<void> {
  await until(
    async () => (await databaseCounts(sql)).usageRows === mock.stats().requests,
    'the gateways to flush every attempt so far',
    20_000,
  );
}
