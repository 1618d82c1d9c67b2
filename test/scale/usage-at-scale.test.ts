/**
 * With a million usage rows, every query the usage page, the stats, rollups and retention run
 * reads through an index or a rowid range, never a full scan (checked with EXPLAIN QUERY PLAN on
 * the exact statements and parameters), and answers the same as a plain query over every row.
 * Their speed is measured by `npm run bench -- --phases usage`, not here.
 */
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UsageQuery } from '../../src/core/ports.js';
import type { SqlDriver, SqlStatement } from '../../src/storage/sql/driver.js';
import { SqlUsageStore } from '../../src/storage/sql/sql-usage-store.js';
import { applyMigrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteDriver } from '../../src/storage/sqlite/sqlite-driver.js';
import { HOUR, OLD_KEY, RARE_KEY, UNUSED_KEY, writeUsageHistory } from '../support/usage-rows.js';

const ROWS = 1_000_000;
const END = Math.floor(Date.UTC(2026, 5, 1) / HOUR) * HOUR;
/** The common table expressions of the id search, which SQLite lists as scans of themselves. */
const CTE_NAMES = new Set(['targets', 'ends', 'search', 's', 'n']);

const db = new Database(':memory:');
const run: SqlStatement[] = [];
const base = new SqliteDriver(db);
/** The SQLite driver, recording every statement it runs. */
const driver: SqlDriver = {
  maxParams: base.maxParams,
  dialect: base.dialect,
  all: (sql, params = []) => (run.push({ sql, params }), base.all(sql, params)),
  first: (sql, params = []) => (run.push({ sql, params }), base.first(sql, params)),
  run: (sql, params = []) => (run.push({ sql, params }), base.run(sql, params)),
  batch: (statements) => (run.push(...statements), base.batch(statements)),
};
const store = new SqlUsageStore(driver);

/** Plan lines that scan a whole table (or a whole index of one). */
function fullScans(statements: SqlStatement[]): string[] {
  return statements.flatMap(({ sql, params }) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
      .map((r) => r.detail)
      .filter((detail) => {
        if (/^SCAN (\d+ )?CONSTANT ROWS?$/.test(detail)) return false;
        const scanned = /^SCAN (\S+)/.exec(detail)?.[1];
        return scanned !== undefined && !CTE_NAMES.has(scanned);
      })
      .map((detail) => `${detail}  <-  ${sql}`),
  );
}

/** Runs `work` and returns the statements it ran. */
async function statementsOf(work: () => Promise<unknown>): Promise<SqlStatement[]> {
  run.length = 0;
  await work();
  return [...run];
}

function expectedIds(query: UsageQuery): number[] {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    if (value === undefined) return;
    where.push(clause);
    params.push(value);
  };
  add('id < ?', query.beforeId);
  add('api_key_id = ?', query.keyId);
  add('model = ?', query.model);
  add('endpoint = ?', query.endpoint);
  add('response_status = ?', query.status);
  add('request_timestamp >= ?', query.since);
  const sql = `SELECT id FROM api_key_usage NOT INDEXED ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (
    db
      .prepare(sql)
      .pluck()
      .all(...params, query.limit) as number[]
  ).map(Number);
}

beforeAll(async () => {
  applyMigrations(db);
  writeUsageHistory(db, ROWS, 8, END);
  // Everything but the last two hours folded, as the hourly job leaves it.
  await store.rollupUsage(END - 2 * HOUR, 1_000);
}, 120_000);

describe('usage queries over a million rows', () => {
  it('the plan check sees a full scan where there is one', () => {
    const byKey = {
      sql: 'SELECT * FROM api_key_usage WHERE api_key_id = ? ORDER BY id DESC LIMIT 50',
      params: [1],
    };
    const byTime = { sql: 'SELECT count(*) FROM api_key_usage WHERE request_timestamp >= ?', params: [END] };
    expect(fullScans([byKey, byTime])).toHaveLength(2);
  });

  const pages: Array<[string, UsageQuery]> = [
    ['the newest page', { limit: 50 }],
    ['a later page', { limit: 50, beforeId: 600_000 }],
    ['a sparse key', { limit: 50, keyId: RARE_KEY }],
    ['a sparse key, later page', { limit: 50, keyId: RARE_KEY, beforeId: 300_000 }],
    ['a key used only at the start', { limit: 50, keyId: OLD_KEY }],
    ['a key never used', { limit: 50, keyId: UNUSED_KEY }],
    ['a busy key', { limit: 200, keyId: 77 }],
    ['a key and a model', { limit: 50, keyId: RARE_KEY, model: 'gemini-2.5-pro' }],
    ['a model and a status', { limit: 50, model: 'gemini-2.5-flash', status: 429 }],
    ['an endpoint', { limit: 50, endpoint: 'embeddings' }],
    ['a key since a time', { limit: 500, keyId: RARE_KEY, since: END - 30 * HOUR }],
  ];
  it.each(pages)('lists %s like a full scan would, without one', async (_name, query) => {
    let rows: Array<{ id: number }> = [];
    const statements = await statementsOf(async () => (rows = await store.listUsage(query)));
    expect(fullScans(statements)).toEqual([]);
    expect(rows.map((r) => r.id)).toEqual(expectedIds(query));
    // A Worker invocation may run 50 D1 queries on the Free plan, the admin request's own included.
    expect(statements.length).toBeLessThanOrEqual(12);
  });

  const ranges: Array<[string, number, number]> = [
    ['a day', 24 * HOUR, HOUR],
    ['a week', 7 * 24 * HOUR, 6 * HOUR],
    ['an hour', HOUR, 60_000],
  ];
  it.each(ranges)('answers stats for %s like a full scan would, without one', async (_name, span, bucket) => {
    const until = END + 17 * 60_000;
    const since = Math.floor((until - span) / bucket) * bucket;
    let stats: Awaited<ReturnType<SqlUsageStore['stats']>> | undefined;
    const statements = await statementsOf(
      async () => (stats = await store.stats({ since, until, bucketMs: bucket })),
    );
    expect(fullScans(statements)).toEqual([]);
    const expected = db
      .prepare(
        'SELECT count(*) AS requests, sum(tokens_used) AS tokens FROM api_key_usage NOT INDEXED ' +
          'WHERE request_timestamp >= ? AND request_timestamp < ?',
      )
      .get(since, until) as { requests: number; tokens: number };
    expect(stats!.totals.requests).toBe(expected.requests);
    expect(stats!.totals.totalTokens).toBe(expected.tokens);
    const rare = stats!.byKey.find((k) => k.keyId === RARE_KEY);
    const rareExpected = db
      .prepare(
        'SELECT count(*) AS n FROM api_key_usage NOT INDEXED WHERE api_key_id = ? AND request_timestamp >= ? AND request_timestamp < ?',
      )
      .pluck()
      .get(RARE_KEY, since, until);
    expect(rare?.requests).toBe(rareExpected);
  });

  it('folds the next hour and prunes the oldest rows without a full scan', async () => {
    const fold = await statementsOf(() => store.rollupUsage(END - HOUR, 1));
    expect(fullScans(fold)).toEqual([]);
    const before = END - 8 * 24 * HOUR + 2 * HOUR;
    const expected = db
      .prepare('SELECT count(*) FROM api_key_usage NOT INDEXED WHERE request_timestamp < ?')
      .pluck()
      .get(before);
    let pruned = 0;
    const prune = await statementsOf(async () => (pruned = await store.pruneUsage(before)));
    expect(fullScans(prune)).toEqual([]);
    expect(pruned).toBe(expected);
    expect(
      db.prepare('SELECT count(*) FROM api_key_usage WHERE request_timestamp < ?').pluck().get(before),
    ).toBe(0);
  });
});
