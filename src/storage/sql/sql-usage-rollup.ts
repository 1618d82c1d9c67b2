/**
 * Hourly rollups of `api_key_usage`: finished hours are folded into `usage_hourly` (by endpoint,
 * model and status) and `usage_hourly_keys` (by key), so stats over days and weeks read a few
 * rows per hour instead of one per request. `pool_meta.usage_rollup_until` is the watermark:
 * every hour before it is folded, raw rows at or after it are read directly.
 */
import type { RollupResult } from '../../core/ports.js';
import type { SqlDriver, SqlStatement } from './driver.js';
import type { SqlDialect } from './sql-dialect.js';
import { type IdRange, idRanges } from './usage-id-range.js';

export const HOUR = 3_600_000;
export const ROLLUP_META_KEY = 'usage_rollup_until';

const ERRORS = "SUM(CASE WHEN response_status >= 400 OR outcome <> 'ok' THEN 1 ELSE 0 END)";
const TOKENS = 'SUM(prompt_tokens), SUM(completion_tokens), SUM(tokens_used)';
const REPLACE_SUMS =
  'requests = excluded.requests, errors = excluded.errors, prompt_tokens = excluded.prompt_tokens, ' +
  'completion_tokens = excluded.completion_tokens, total_tokens = excluded.total_tokens';

/** The watermark, or null before the first rollup. */
export async function rolledUpUntil(driver: SqlDriver): Promise<number | null> {
  const row = await driver.first<{ value: string }>('SELECT value FROM pool_meta WHERE key = ?', [
    ROLLUP_META_KEY,
  ]);
  const value = row ? Number(row.value) : NaN;
  return Number.isFinite(value) ? value : null;
}

/** Moves the watermark forward only, so two concurrent runs (two isolates) cannot move it back. */
function setWatermark(dialect: SqlDialect, until: number): SqlStatement {
  return {
    sql:
      'INSERT INTO pool_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value ' +
      `WHERE CAST(excluded.value AS ${dialect.integer}) > CAST(pool_meta.value AS ${dialect.integer})`,
    params: [ROLLUP_META_KEY, String(until)],
  };
}

/** Raw rows of `[from, to)` within the ids `ids`: a rowid range, then the timestamps. */
export const RAW_RANGE = 'id >= ? AND id < ? AND request_timestamp >= ? AND request_timestamp < ?';

/**
 * Sums are replaced, not added, so folding an hour again (a run that failed half-way, two isolates
 * at once) leaves the same numbers. The WHERE clause also keeps SQLite's upsert parser unambiguous.
 */
function foldStatements(dialect: SqlDialect, from: number, to: number, [lo, hi]: IdRange): SqlStatement[] {
  const hour = `CAST(request_timestamp / ${HOUR} AS ${dialect.integer}) * ${HOUR}`;
  return [
    {
      sql:
        'INSERT INTO usage_hourly (hour, endpoint, model, response_status, requests, errors, prompt_tokens, completion_tokens, total_tokens) ' +
        `SELECT ${hour}, endpoint, coalesce(model, ''), response_status, ` +
        `COUNT(*), ${ERRORS}, ${TOKENS} FROM api_key_usage WHERE ${RAW_RANGE} ` +
        `GROUP BY 1, 2, 3, 4 ON CONFLICT(hour, endpoint, model, response_status) DO UPDATE SET ${REPLACE_SUMS}`,
      params: [lo, hi, from, to],
    },
    {
      sql:
        'INSERT INTO usage_hourly_keys (hour, api_key_id, requests, errors, prompt_tokens, completion_tokens, total_tokens) ' +
        `SELECT ${hour}, coalesce(api_key_id, 0), ` +
        `COUNT(*), ${ERRORS}, ${TOKENS} FROM api_key_usage WHERE ${RAW_RANGE} ` +
        `GROUP BY 1, 2 ON CONFLICT(hour, api_key_id) DO UPDATE SET ${REPLACE_SUMS}`,
      params: [lo, hi, from, to],
    },
  ];
}

/**
 * The hour of the oldest row, or null with none. Without a timestamp index: the first row by id,
 * then the least timestamp among the rows that can be older than it (those up to the slack after it).
 */
async function oldestHour(driver: SqlDriver): Promise<number | null> {
  const first = await driver.first<{ t: number }>(
    'SELECT request_timestamp AS t FROM api_key_usage ORDER BY id LIMIT 1',
  );
  if (!first) return null;
  const [[, hi]] = (await idRanges(driver, [[Number(first.t), Number(first.t)]])) as [IdRange];
  const oldest = await driver.first<{ t: number }>(
    'SELECT min(request_timestamp) AS t FROM api_key_usage WHERE id < ?',
    [hi],
  );
  return Math.floor(Number(oldest?.t ?? first.t) / HOUR) * HOUR;
}

/** Folds the finished hours before `before` (at most `maxHours` of them) and advances the watermark, in one batch. */
export async function rollupUsage(
  driver: SqlDriver,
  before: number,
  maxHours: number,
): Promise<RollupResult> {
  const end = Math.floor(before / HOUR) * HOUR;
  const watermark = await rolledUpUntil(driver);
  const first = watermark === null;
  const from = watermark ?? (await oldestHour(driver)) ?? end;
  const to = Math.min(end, from + Math.max(1, Math.floor(maxHours)) * HOUR);
  if (to <= from) {
    // Nothing finished to fold; a first run still records where raw rows start.
    if (first) await driver.batch([setWatermark(driver.dialect, Math.max(from, end))]);
    return { hours: 0, rolledUpUntil: first ? Math.max(from, end) : from };
  }
  const [ids] = await idRanges(driver, [[from, to]]);
  await driver.batch([...foldStatements(driver.dialect, from, to, ids!), setWatermark(driver.dialect, to)]);
  return { hours: (to - from) / HOUR, rolledUpUntil: to };
}

/** How a stats range splits into raw ranges and one range read from the rollups. */
export interface StatsPlan {
  raw: Array<[number, number]>;
  rollup: [number, number] | null;
}

/**
 * Rollups serve the whole hours of [since, until) before the watermark, and only when a bucket is a
 * whole number of hours (an hour's rollup must fall in one bucket); raw rows serve the rest.
 */
export function planStats(
  since: number,
  until: number,
  bucketMs: number,
  watermark: number | null,
): StatsPlan {
  if (watermark === null || bucketMs % HOUR !== 0) return { raw: [[since, until]], rollup: null };
  const from = Math.ceil(since / HOUR) * HOUR;
  const to = Math.min(watermark, Math.floor(until / HOUR) * HOUR);
  if (to <= from) return { raw: [[since, until]], rollup: null };
  const raw: Array<[number, number]> = [];
  if (since < from) raw.push([since, from]);
  if (to < until) raw.push([to, until]);
  return { raw, rollup: [from, to] };
}
