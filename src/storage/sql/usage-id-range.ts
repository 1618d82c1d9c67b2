/**
 * Time ranges of `api_key_usage` found through its ids. The table has no index but its rowid (an
 * index entry is one more row written per request on D1), and ids grow with time: rows are
 * inserted in the order they are flushed, a few seconds after their `request_timestamp`. A binary
 * search over the rowid, run inside SQLite as one recursive query (one D1 round trip, about two
 * rows read per step), finds the ids where a time begins.
 */
import type { SqlDriver } from './driver.js';

/**
 * How late a row may reach the database after its `request_timestamp` and still be found by a
 * time range. Searches widen each range by this much, then filter on the timestamp.
 */
export const USAGE_ARRIVAL_SLACK_MS = 10 * 60_000;

/** Ids `[lo, hi)`: every row of a time range has an id in it. */
export type IdRange = [lo: number, hi: number];

/** Above every id: an open upper end. */
export const NO_ID_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * One binary search per target time, in one statement. For target `t`, `lo` ends past every row
 * probed with a timestamp below `t` and `hi` at a row probed at or after `t`.
 */
function searchSql(targets: number): string {
  const values = Array.from({ length: targets }, (_, i) => `(${i}, ?)`).join(', ');
  return (
    `WITH RECURSIVE targets(n, t) AS (VALUES ${values}), ` +
    'ends(first_id, last_id) AS (SELECT (SELECT min(id) FROM api_key_usage), (SELECT max(id) FROM api_key_usage)), ' +
    'search(n, t, lo, hi) AS (' +
    'SELECT n, t, first_id, last_id + 1 FROM targets, ends WHERE first_id IS NOT NULL ' +
    'UNION ALL ' +
    'SELECT s.n, s.t, CASE WHEN p.request_timestamp < s.t THEN p.id + 1 ELSE s.lo END, ' +
    'CASE WHEN p.request_timestamp < s.t THEN s.hi ELSE (s.lo + s.hi) / 2 END ' +
    'FROM search s JOIN api_key_usage p ' +
    'ON p.id = (SELECT min(id) FROM api_key_usage WHERE id >= (s.lo + s.hi) / 2) WHERE s.lo < s.hi) ' +
    'SELECT n, lo, hi, (SELECT last_id FROM ends) AS last_id FROM search WHERE lo >= hi'
  );
}

interface SearchRow {
  n: number;
  lo: number;
  hi: number;
  last_id: number;
}

/** Targets per statement: one bound parameter each, within D1's 100. */
const TARGETS_PER_QUERY = 96;

/**
 * For each time range `[from, to)`, ids `[lo, hi)` holding every row of the range that reached the
 * database within `USAGE_ARRIVAL_SLACK_MS`, plus a few rows on either side (filter on the
 * timestamp). `hi` is `NO_ID_LIMIT` when the range reaches past the newest row; an empty table gives
 * `[0, 0]`.
 *
 * Why it holds: the search moves `lo` past a probe only when that probe is older than the widened
 * start, and every row before it is older still (less the slack), so older than the start.
 * Likewise everything from `hi` on is newer than the range's end.
 */
export async function idRanges(
  driver: SqlDriver,
  ranges: ReadonlyArray<[number, number]>,
): Promise<IdRange[]> {
  const targets = ranges.flatMap(([from, to]) => [
    from - USAGE_ARRIVAL_SLACK_MS,
    to + USAGE_ARRIVAL_SLACK_MS,
  ]);
  const found = new Map<number, SearchRow>();
  for (let start = 0; start < targets.length; start += TARGETS_PER_QUERY) {
    const slice = targets.slice(start, start + TARGETS_PER_QUERY);
    const rows = await driver.all<SearchRow>(searchSql(slice.length), slice);
    for (const r of rows) found.set(start + Number(r.n), r);
  }
  return ranges.map((_, i) => {
    const from = found.get(2 * i);
    const to = found.get(2 * i + 1);
    if (!from || !to) return [0, 0];
    const hi = Number(to.hi) > Number(to.last_id) ? NO_ID_LIMIT : Number(to.hi);
    return [Number(from.lo), hi];
  });
}

/** Ids holding every row at or after `since`. */
export async function idsSince(driver: SqlDriver, since: number): Promise<number> {
  const [range] = await idRanges(driver, [[since, since]]);
  return range![0];
}
