/**
 * Usage queries at scale: the panel's usage page (unfiltered and per key) and the dashboard's stats
 * for a day and a week, on a SQLite file holding `usageRows` usage rows (a million in the full run)
 * over eight days, rolled up as the hourly job leaves it. Median of several runs per query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { HOUR, OLD_KEY, RARE_KEY, writeUsageHistory } from '../test/support/usage-rows.js';
import type { UsageQueryTiming } from './types.js';

const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Times each query against one database; `log` reports progress. */
export async function measureUsageQueries(
  rows: number,
  log: (line: string) => void,
): Promise<UsageQueryTiming[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-usage-'));
  const { storage, db, close } = openSqliteStorage(join(dir, 'pool.sqlite'));
  try {
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    let started = performance.now();
    writeUsageHistory(db, rows, 8, end);
    await storage.usage.rollupUsage(end - 2 * HOUR, 1_000);
    log(
      `usage queries: ${rows} rows written and rolled up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const until = end + 17 * 60_000;
    const stats = (span: number, bucketMs: number) => () =>
      storage.usage.stats({ since: Math.floor((until - span) / bucketMs) * bucketMs, until, bucketMs });
    const queries: Array<[string, () => Promise<unknown>]> = [
      ['usage page, newest 50', () => storage.usage.listUsage({ limit: 50 })],
      [
        'usage page, 50 from the middle',
        () => storage.usage.listUsage({ limit: 50, beforeId: Math.floor(rows / 2) }),
      ],
      ['usage page, busy key', () => storage.usage.listUsage({ limit: 50, keyId: 77 })],
      ['usage page, key in 1 row of 5,000', () => storage.usage.listUsage({ limit: 50, keyId: RARE_KEY })],
      ['usage page, key used 8 days ago only', () => storage.usage.listUsage({ limit: 50, keyId: OLD_KEY })],
      [
        'usage page, model and status',
        () => storage.usage.listUsage({ limit: 50, model: 'gemini-2.5-flash', status: 429 }),
      ],
      ['stats, day (hourly buckets)', stats(24 * HOUR, HOUR)],
      ['stats, week (6 h buckets)', stats(7 * 24 * HOUR, 6 * HOUR)],
      ['stats, hour (minute buckets)', stats(HOUR, 60_000)],
    ];
    const timings: UsageQueryTiming[] = [];
    for (const [query, run] of queries) {
      await run();
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        started = performance.now();
        await run();
        runs.push(performance.now() - started);
      }
      timings.push({ query, rows, medianMs: median(runs), maxMs: Math.max(...runs) });
    }
    return timings;
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
}
