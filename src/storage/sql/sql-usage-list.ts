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

/** Hours asked of the rollups in the first round; each later round asks twice as many. */
const FIRST_ROUND_HOURS = 48;

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
  add('access_token_id = ?', query.tokenId);
  add('model = ?', query.model);
  add('endpoint = ?', query.endpoint);
  add('response_status = ?', query.status);
  add('request_timestamp >= ?', query.since);
  return { where, params };
}

/** The newest `count` rolled-up hours in `[from, to)` that hold rows matching the query, newest first. */
async function candidateHours(
  driver: SqlDriver,
  query: UsageQuery,
  from: number,
  to: number,
  count: number,
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
      [query.keyId, from, to, ...hourlyParams, count],
    );
  } else {
    rows = await driver.all(
      `SELECT DISTINCT h.hour AS hour FROM usage_hourly h WHERE h.hour >= ? AND h.hour < ? AND ${hourly.join(' AND ')} ` +
        'ORDER BY h.hour DESC LIMIT ?',
      [from, to, ...hourlyParams, count],
    );
  }
  return rows.map((r) => Number(r.hour));
}

/** Runs of consecutive hours (newest first) as time ranges: one id search per end, not per hour. */
function hourRuns(hours: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const h of hours) {
    const last = runs.at(-1);
    if (last && last[0] === h + HOUR) last[0] = h;
    else runs.push([h, h + HOUR]);
  }
  return runs;
}

/** Id ranges per statement: two bound parameters each, with the filters, within D1's 100. */
const RANGES_PER_READ = 40;

/**
 * `ranges` clipped to `[floor, cursor)`, overlapping ones joined, newest first. Neighbouring hours'
 * ranges overlap (each is widened by the arrival slack), so a run of hours becomes one range.
 */
function disjointRanges(ranges: IdRange[], floor: number, cursor: number): IdRange[] {
  const clipped = ranges
    .map(([lo, hi]): IdRange => [Math.max(lo, floor), Math.min(hi, cursor)])
    .filter(([lo, hi]) => lo < hi)
    .sort((a, b) => b[1] - a[1]);
  const out: IdRange[] = [];
  for (const [lo, hi] of clipped) {
    const last = out.at(-1);
    if (last && hi >= last[0]) last[0] = Math.min(last[0], lo);
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * Rows newest first. Each read covers ids below those read before it (the cursor), so rows come in
 * id order exactly once. A D1 invocation may run only 50 queries on the Free plan, so a filtered
 * page reads rolled-up hours in rounds of 48, 96, 192… hours, each usually three statements: the
 * hours, the ids of each run of consecutive hours, their rows.
 */
export async function listUsageRows<T>(driver: SqlDriver, query: UsageQuery): Promise<T[]> {
  const limit = Math.max(0, Math.floor(query.limit));
  const filter = rowFilter(query);
  const floorId = query.since === undefined ? 0 : await idsSince(driver, query.since);
  const out: T[] = [];
  let cursor = query.beforeId ?? NO_ID_LIMIT;

  const read = async (ranges: IdRange[]) => {
    const disjoint = disjointRanges(ranges, floorId, cursor);
    for (let i = 0; i < disjoint.length && out.length < limit; i += RANGES_PER_READ) {
      const slice = disjoint.slice(i, i + RANGES_PER_READ);
      const within = slice.map(() => '(id >= ? AND id < ?)').join(' OR ');
      const where = [`(${within})`, ...filter.where].join(' AND ');
      out.push(
        ...(await driver.all<T>(`SELECT * FROM api_key_usage WHERE ${where} ORDER BY id DESC LIMIT ?`, [
          ...slice.flat(),
          ...filter.params,
          limit - out.length,
        ])),
      );
      cursor = slice.at(-1)![0];
    }
  };

  const attributes = ['keyId', 'model', 'endpoint', 'status'] as const;
  const watermark = await rolledUpUntil(driver);
  if (watermark === null || attributes.every((a) => query[a] === undefined)) {
    await read([[0, NO_ID_LIMIT]]);
    return out;
  }
  // Rows newer than the rollups: read them all.
  await read([[await idsSince(driver, watermark), NO_ID_LIMIT]]);
  // Older rows: only the hours the rollups name, from the hour of the row below the cursor down.
  const below = await driver.first<{ t: number }>(
    'SELECT request_timestamp AS t FROM api_key_usage WHERE id < ? ORDER BY id DESC LIMIT 1',
    [cursor],
  );
  if (!below) return out;
  let to = Math.min(watermark, Math.floor((Number(below.t) + USAGE_ARRIVAL_SLACK_MS) / HOUR) * HOUR + HOUR);
  const from = query.since === undefined ? 0 : Math.floor(query.since / HOUR) * HOUR;
  for (let count = FIRST_ROUND_HOURS; out.length < limit && cursor > floorId; count *= 2) {
    const hours = await candidateHours(driver, query, from, to, count);
    if (hours.length === 0) break;
    await read(await idRanges(driver, hourRuns(hours)));
    to = hours[hours.length - 1]!;
  }
  return out;
}
