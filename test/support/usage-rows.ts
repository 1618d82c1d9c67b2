/**
 * A usage history at scale, written by SQLite itself in one transaction (a million rows take a
 * couple of seconds): shared by the query-plan test and the usage-queries bench.
 */
import type Database from 'better-sqlite3';

export const HOUR = 3_600_000;
/** The key in one row of 5,000, spread over the whole history. */
export const RARE_KEY = 1;
/** The key with rows only in the history's first hour. */
export const OLD_KEY = 900;
/** A key without a single row. */
export const UNUSED_KEY = 901;

export interface UsageHistory {
  rows: number;
  /** Timestamp of the first row; the last is about `days` later. */
  start: number;
  end: number;
}

/**
 * Appends `rows` usage rows, evenly over `days` ending at `end`, ids in insertion order and
 * timestamps jittered by ±30 s (rows reach the database a little out of order). Keys 2…500 share
 * the traffic; `RARE_KEY` and `OLD_KEY` are sparse.
 */
export function writeUsageHistory(
  db: Database.Database,
  rows: number,
  days: number,
  end: number,
): UsageHistory {
  const span = days * 24 * HOUR;
  const start = end - span;
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO api_key_usage (api_key_id, endpoint, response_status, tokens_used, request_timestamp, model,
         prompt_tokens, completion_tokens, latency_ms, outcome, attempt)
       SELECT CASE WHEN i % 5000 = 0 THEN ${RARE_KEY} WHEN i <= 20 THEN ${OLD_KEY} ELSE 2 + i % 499 END,
         CASE WHEN i % 7 = 0 THEN 'embeddings' ELSE 'chat.completions' END,
         CASE WHEN i % 50 = 0 THEN 429 ELSE 200 END,
         30, ? + CAST(i AS INTEGER) * ? / ? + (abs(random()) % 60000) - 30000,
         CASE i % 3 WHEN 0 THEN 'gemini-2.5-flash' WHEN 1 THEN 'gemini-2.5-pro' ELSE NULL END,
         10, 20, 100 + i % 400,
         CASE WHEN i % 50 = 0 THEN 'rate-limited' ELSE 'ok' END, 1
       FROM n`,
    ).run(rows, start, span, rows);
  })();
  return { rows, start, end };
}
