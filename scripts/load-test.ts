/**
 * `npm run load-test -- [options]`: the reliability load and crash runs at sizes too big for CI,
 * against the real gateway process (`src/runtime/node/main.ts`) and the mock Gemini upstream.
 *
 *   --requests N       requests to send (default 50000)
 *   --concurrency N    requests in flight (default 100)
 *   --keys N           pooled keys (default 2000)
 *   --rate429 R        share of upstream attempts answered 429 (default 0.2)
 *   --rate500 R        share answered 500 (default 0.05)
 *   --flush-ms N       FLUSH_INTERVAL_MS of the gateway (default 1000)
 *   --crash            SIGKILL the gateway halfway instead of stopping it with SIGTERM
 *
 * Load mode checks that every answer is a complete 200 or a well-formed error and that, after a
 * graceful stop, Σ total_requests and the usage rows both equal the upstream's received count.
 * Crash mode checks integrity, WAL recovery and that the loss stays within the last flush window.
 * Exits 1 when a check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startMockGemini } from '../test/fixtures/mock-gemini/index.js';
import { dbCounts, spawnGateway, until } from '../test/reliability/helpers.js';
import { runLoad } from '../test/reliability/load-driver.js';
import { fakeKey } from '../test/support/keys.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '100' },
    keys: { type: 'string', default: '2000' },
    rate429: { type: 'string', default: '0.2' },
    rate500: { type: 'string', default: '0.05' },
    'flush-ms': { type: 'string', default: '1000' },
    crash: { type: 'boolean', default: false },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const flushMs = Number(values['flush-ms']);
const ACCESS = 'load-test-access-token-0123456789';

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

const dir = mkdtempSync(join(tmpdir(), 'gkp-load-test-'));
const path = join(dir, 'pool.sqlite');
const mock = await startMockGemini({
  rate429: Number(values.rate429),
  rate500: Number(values.rate500),
  seed: 42,
});
const env = {
  DATABASE_PATH: path,
  UPSTREAM_BASE_URL: mock.url,
  ADMIN_TOKEN: 'load-test-admin-token-0123456789',
  ACCESS_TOKENS: ACCESS,
  GEMINI_API_KEYS: Array.from({ length: Number(values.keys) }, (_, i) => fakeKey(`lt${i}`)).join('\n'),
  FLUSH_INTERVAL_MS: String(flushMs),
};

try {
  const gateway = await spawnGateway(env);
  console.log(
    `${values.crash ? 'crash' : 'load'} run: ${requests} requests, concurrency ${concurrency}, ${values.keys} keys, ` +
      `429 ${values.rate429}, 500 ${values.rate500}, flush every ${flushMs} ms`,
  );
  const stop = new AbortController();
  const samples: Array<{ at: number; requests: number }> = [];
  const sampler = setInterval(() => samples.push({ at: Date.now(), requests: mock.stats().requests }), 20);
  const load = runLoad({
    url: gateway.url,
    token: ACCESS,
    total: requests,
    concurrency,
    signal: stop.signal,
  });

  if (values.crash) {
    await until(() => mock.stats().requests >= requests / 2, 'half the load', 600_000);
    const killedAt = Date.now();
    gateway.child.kill('SIGKILL');
    stop.abort();
    await gateway.exited;
    clearInterval(sampler);
    await load;
    const received = mock.stats().requests;
    const db = new Database(path);
    check(db.pragma('journal_mode', { simple: true }) === 'wal', 'the database reopens in WAL mode');
    check(db.pragma('integrity_check', { simple: true }) === 'ok', 'PRAGMA integrity_check = ok');
    db.close();
    const counts = dbCounts(path);
    check(
      counts.totalRequests === counts.usageRows,
      'counters and usage rows agree (one transaction per flush)',
    );
    const windowMs = 2 * flushMs;
    const before = samples.filter((s) => s.at <= killedAt - windowMs).at(-1)?.requests ?? 0;
    const lost = received - counts.usageRows;
    console.log(`     upstream received ${received}, kept ${counts.usageRows}, lost ${lost}`);
    check(
      lost >= 0 && lost <= received - before,
      `loss within the last ${windowMs} ms (${received - before} attempts)`,
    );
    const restarted = await spawnGateway(env);
    const health = await fetch(`${restarted.url}/healthz`);
    check(health.status === 200, 'the gateway restarts on the same file');
    restarted.child.kill('SIGTERM');
    check((await restarted.exited) === 0, 'and stops cleanly');
  } else {
    const result = await load;
    clearInterval(sampler);
    const seconds = result.elapsedMs / 1000;
    const upstream = mock.stats();
    console.log(
      `     ${Math.round(requests / seconds)} req/s over ${seconds.toFixed(1)} s; answers ${JSON.stringify(result.byStatus)}; ` +
        `upstream attempts ${upstream.requests} ${JSON.stringify(upstream.byStatus)}`,
    );
    check(
      result.malformed.length === 0,
      `every answer is a complete 200 or a well-formed error ${result.malformed.slice(0, 3).join(' | ')}`,
    );
    check(result.transportErrors === 0, 'no connection errors');
    gateway.child.kill('SIGTERM');
    check((await gateway.exited) === 0, 'SIGTERM exits 0');
    const counts = dbCounts(path);
    check(
      counts.totalRequests === upstream.requests,
      `Σ total_requests ${counts.totalRequests} = upstream ${upstream.requests}`,
    );
    check(
      counts.usageRows === upstream.requests,
      `usage rows ${counts.usageRows} = upstream ${upstream.requests}`,
    );
  }
} finally {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failures.length > 0 ? 1 : 0;
