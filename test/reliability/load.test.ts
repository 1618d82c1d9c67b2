/**
 * Load with injected faults: thousands of requests at concurrency 100 while the upstream answers
 * 20% of attempts with a 429 and 5% with a 500. Every client gets a complete 200 or a well-formed
 * error, and after a graceful shutdown the database accounts for exactly what the upstream received.
 * `npm run load-test` runs bigger sizes (scripts/load-test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { dbCounts, readDb } from './helpers.js';
import { runLoad } from './load-driver.js';

const REQUESTS = 5000;
const CONCURRENCY = 100;
const KEY_COUNT = 1000;

const dir = mkdtempSync(join(tmpdir(), 'gkp-load-'));
let mock: MockGemini | undefined;
let gw: TestGateway | undefined;

afterAll(async () => {
  await gw?.close();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('load with 20% 429s and 5% 500s injected', () => {
  it(`answers ${REQUESTS} requests at concurrency ${CONCURRENCY} and loses no usage record`, async () => {
    const keys = Array.from({ length: KEY_COUNT }, (_, i) => fakeKey(`load${String(i).padStart(4, '0')}`));
    mock = await startMockGemini({ rate429: 0.2, rate500: 0.05, seed: 42 });
    gw = await startNodeGateway({
      upstreamUrl: mock.url,
      keys,
      databasePath: join(dir, 'pool.sqlite'),
      env: { FLUSH_INTERVAL_MS: '200' },
    });

    const result = await runLoad({
      url: gw.url,
      token: gw.accessToken,
      total: REQUESTS,
      concurrency: CONCURRENCY,
    });
    console.log(
      `load: ${REQUESTS} requests in ${(result.elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(REQUESTS / (result.elapsedMs / 1000))} req/s), statuses ${JSON.stringify(result.byStatus)}, ` +
        `upstream attempts ${mock.stats().requests} ${JSON.stringify(mock.stats().byStatus)}`,
    );

    expect(result.malformed).toEqual([]);
    expect(result.transportErrors).toBe(0);
    expect(result.sent).toBe(REQUESTS);
    const answered = Object.values(result.byStatus).reduce((a, b) => a + b, 0);
    expect(answered).toBe(REQUESTS);
    // Faults were really injected, and retries hid most of them.
    const upstream = mock.stats();
    expect(upstream.byStatus[429]).toBeGreaterThan(upstream.requests * 0.15);
    expect(upstream.byStatus[500]).toBeGreaterThan(upstream.requests * 0.03);
    expect(result.byStatus[200]).toBeGreaterThan(REQUESTS * 0.95);
    expect(result.ok).toBe(upstream.ok);

    await gw.close();
    gw = undefined;

    const path = join(dir, 'pool.sqlite');
    expect(dbCounts(path)).toEqual({ totalRequests: upstream.requests, usageRows: upstream.requests });
    readDb(path, (db) => {
      const byStatus = db
        .prepare('SELECT response_status AS s, COUNT(*) AS n FROM api_key_usage GROUP BY response_status')
        .all() as Array<{ s: number; n: number }>;
      expect(Object.fromEntries(byStatus.map((r) => [r.s, r.n]))).toEqual(upstream.byStatus);
      const perKey = db.prepare('SELECT api_key, total_requests FROM api_keys').all() as Array<{
        api_key: string;
        total_requests: number;
      }>;
      for (const row of perKey) expect(row.total_requests).toBe(upstream.byKey[maskKey(row.api_key)] ?? 0);
      const disabled = db
        .prepare('SELECT COUNT(*) AS n FROM api_keys WHERE disabled_by IS NOT NULL')
        .get() as {
        n: number;
      };
      expect(disabled.n).toBe(0);
    });
  }, 120_000);
});
