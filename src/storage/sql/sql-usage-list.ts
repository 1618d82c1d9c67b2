/**
 * The usage page: `api_key_usage` newest first, keyset-paginated by id, optionally filtered. The
 * table has no index but its rowid, so an unfiltered page is a rowid range. A filtered page reads
 * only the hours the rollups say hold matching rows (`usage_hourly_keys` for a key, `usage_hourly`
 * for model, endpoint and status), each hour as an id range, plus the recent rows not rolled up yet.
 */
import type { UsageQuery } from '../../core/ports.js';
import type { SqlDriver } from './driver.js';
import { HOUR, rolledUpUntil } from './sql-usage-rollup.js';
import { type IdRange, NO_ID_LIMIT, USAGE_ARRIVAL_SLACK_MS, idRanges, idsSince } from './usage-id-range.js';

/** Hours asked of the rollups (and id-searched) per round. */
const HOURS_PER_ROUND = 24;

interface Filter {
  /** Raw-row clauses and their values. */
  where: string[];
  params: unknown[];
}

function rowFilter(query: UsageQuery): Filter {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    if (value === undefined) return;
    where.push(clause);
    params.push(value);
  };
  add('api_key_id = ?', query.keyId);
  add('model = ?', query.model);
  add('endpoint = ?', query.endpoint);
  add('response_status = ?', query.status);
  add('request_timestamp >= ?', query.since);
  return { where, params };
}

/** The rolled-up hours in `[from, to)` that hold rows matching the query, newest first. */
async function candidateHours(
  driver: SqlDriver,
  query: UsageQuery,
  from: number,
  to: number,
): Promise<number[]> {
  const hourly: string[] = [];
  const hourlyParams: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    if (value === undefined) return;
    hourly.push(clause);
    hourlyParams.push(value);
  };
  add('h.model = ?', query.model);
  add('h.endpoint = ?', query.endpoint);
  add('h.response_status = ?', query.status);
  let rows: Array<{ hour: number }>;
  if (query.keyId !== undefined) {
    const also = hourly.length
      ? ` AND EXISTS (SELECT 1 FROM usage_hourly h WHERE h.hour = k.hour AND ${hourly.join(' AND ')})`
      : '';
    rows = await driver.all(
      `SELECT k.hour AS hour FROM usage_hourly_keys k WHERE k.api_key_id = ? AND k.hour >= ? AND k.hour < ?${also} ` +
        'ORDER BY k.hour DESC LIMIT ?',
      [query.keyId, from, to, ...hourlyParams, HOURS_PER_ROUND],
    );
  } else {
    rows = await driver.all(
      `SELECT DISTINCT h.hour AS hour FROM usage_hourly h WHERE h.hour >= ? AND h.hour < ? AND ${hourly.join(' AND ')} ` +
        'ORDER BY h.hour DESC LIMIT ?',
      [from, to, ...hourlyParams, HOURS_PER_ROUND],
    );
  }
  return rows.map((r) => Number(r.hour));
}

/**
 * Rows newest first. Ranges are read newest first and each read ends where the previous one began,
 * so rows come in id order exactly once even where two hours' id ranges overlap.
 */
export async function listUsageRows<T>(driver: SqlDriver, query: UsageQuery): Promise<T[]> {
  const limit = Math.max(0, Math.floor(query.limit));
  const filter = rowFilter(query);
  const floorId = query.since === undefined ? 0 : await idsSince(driver, query.since);
  const out: T[] = [];
  let cursor = query.beforeId ?? NO_ID_LIMIT;

  const read = async ([lo, hi]: IdRange) => {
    const from = Math.max(lo, floorId);
    const to = Math.min(hi, cursor);
    if (from >= to || out.length >= limit) return;
    const where = ['id >= ?', 'id < ?', ...filter.where].join(' AND ');
    out.push(
      ...(await driver.all<T>(`SELECT * FROM api_key_usage WHERE ${where} ORDER BY id DESC LIMIT ?`, [
        from,
        to,
        ...filter.params,
        limit - out.length,
      ])),
    );
    cursor = from;
  };

  const attributes = ['keyId', 'model', 'endpoint', 'status'] as const;
  const watermark = await rolledUpUntil(driver);
  if (watermark === null || attributes.every((a) => query[a] === undefined)) {
    await read([0, NO_ID_LIMIT]);
    return out;
  }
  // Rows newer than the rollups: read them all.
  await read([await idsSince(driver, watermark), NO_ID_LIMIT]);
  // Older rows: only the hours the rollups name, from the hour of the row below the cursor down.
  const below = await driver.first<{ t: number }>(
    'SELECT request_timestamp AS t FROM api_key_usage WHERE id < ? ORDER BY id DESC LIMIT 1',
    [cursor],
  );
  if (!below) return out;
  let to = Math.min(watermark, Math.floor((Number(below.t) + USAGE_ARRIVAL_SLACK_MS) / HOUR) * HOUR + HOUR);
  const from = query.since === undefined ? 0 : Math.floor(query.since / HOUR) * HOUR;
  while (out.length < limit && cursor > floorId) {
    const hours = await candidateHours(driver, query, from, to);
    if (hours.length === 0) break;
    const ranges = await idRanges(
      driver,
      hours.map((h) => [h, h + HOUR]),
    );
    for (const range of ranges) await read(range);
    to = hours[hours.length - 1]!;
  }
  return out;
}
