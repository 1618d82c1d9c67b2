/**
 * Crash: SIGKILL the real process during load, then restart it on the same SQLite file. The
 * database opens (WAL), passes `PRAGMA integrity_check`, stays internally consistent (every flush
 * is one transaction), and loses at most the attempts of the last unflushed batch: those the
 * upstream received within about one flush interval (FLUSH_INTERVAL_MS, default 1000 ms) before
 * the kill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { chat, dbCounts, spawnGateway, until, type SpawnedGateway } from './helpers.js';
import { runLoad } from './load-driver.js';

const ACCESS = 'crash-access-token-0123456789';
const FLUSH_INTERVAL_MS = 1000;
/** Slack on top of the flush interval: a late timer tick on a busy machine, the flush itself, in-flight requests. */
const SLACK_MS = 1000;
const KILL_AFTER_ATTEMPTS = 1500;
const KEYS = Array.from({ length: 300 }, (_, i) => fakeKey(`crash${i}`));

const dir = mkdtempSync(join(tmpdir(), 'gkp-crash-'));
const path = join(dir, 'pool.sqlite');
let mock: MockGemini | undefined;
let gateway: SpawnedGateway | undefined;

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

function env(): Record<string, string> {
  return {
    DATABASE_PATH: path,
    UPSTREAM_BASE_URL: mock!.url,
    ADMIN_TOKEN: 'crash-admin-token-0123456789',
    ACCESS_TOKENS: ACCESS,
    GEMINI_API_KEYS: KEYS.join(','),
    FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
  };
}

describe('SIGKILL during load', () => {
  it('restarts on an intact WAL database that lost at most the last unflushed batch', async () => {
    mock = await startMockGemini({ rate429: 0.2, rate500: 0.05, seed: 9 });
    gateway = await spawnGateway(env());

    // The upstream's received count over time, to know how many attempts the last window held.
    const samples: Array<{ at: number; requests: number }> = [];
    const sampler = setInterval(() => samples.push({ at: Date.now(), requests: mock!.stats().requests }), 20);
    const stop = new AbortController();
    const load = runLoad({
      url: gateway.url,
      token: ACCESS,
      total: 1_000_000,
      concurrency: 50,
      signal: stop.signal,
    });
    await until(() => mock!.stats().requests >= KILL_AFTER_ATTEMPTS, 'load to build up', 60_000);
    const killedAt = Date.now();
    gateway.child.kill('SIGKILL');
    stop.abort();
    expect(await gateway.exited).toBe('SIGKILL');
    clearInterval(sampler);
    const loadResult = await load;
    expect(loadResult.malformed).toEqual([]);

    const received = mock.stats().requests;
    const windowStart = killedAt - FLUSH_INTERVAL_MS - SLACK_MS;
    const beforeWindow = samples.filter((s) => s.at <= windowStart).at(-1)?.requests ?? 0;
    const lastWindow = received - beforeWindow;

    // Opened read-write, as the restarting gateway does: WAL recovery happens here.
    const db = new Database(path);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
    const counts = dbCounts(path);
    // Counters and usage rows are written in the same transaction: a crash never splits them.
    expect(counts.totalRequests).toBe(counts.usageRows);
    const lost = received - counts.usageRows;
    console.log(
      `crash: upstream received ${received}, database kept ${counts.usageRows}, lost ${lost} ` +
        `(attempts in the last ${FLUSH_INTERVAL_MS + SLACK_MS} ms before the kill: ${lastWindow})`,
    );
    expect(counts.usageRows).toBeGreaterThan(0);
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(lost).toBeLessThanOrEqual(lastWindow);

    // Restart on the same file: it serves, and counts on from what was kept.
    mock.reset();
    gateway = await spawnGateway(env());
    for (let i = 0; i < 10; i++) expect((await chat(gateway.url, ACCESS)).status).toBe(200);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    for (const key of KEYS) expect(gateway.output()).not.toContain(key);
    expect(dbCounts(path)).toEqual({
      totalRequests: counts.usageRows + mock.stats().requests,
      usageRows: counts.usageRows + mock.stats().requests,
    });
    const reopened = new Database(path, { readonly: true });
    try {
      expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      reopened.close();
    }
  }, 120_000);
});
