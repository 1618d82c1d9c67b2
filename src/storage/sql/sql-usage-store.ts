/** `UsageStore`: reads over `api_key_usage` and its hourly rollups (rows are written by `KeyStore.applyBatch`). */
import type {
  RollupResult,
  Stats,
  StatsGroup,
  StatsQuery,
  UsageQuery,
  UsageRow,
  UsageStore,
} from '../../core/ports.js';
import type { OutcomeKind } from '../../core/types.js';
import type { SqlDriver } from './driver.js';
import { listUsageRows } from './sql-usage-list.js';
import { HOUR, RAW_RANGE, planStats, rolledUpUntil, rollupUsage } from './sql-usage-rollup.js';
import { idRanges } from './usage-id-range.js';

interface UsageDbRow {
  id: number;
  api_key_id: number | null;
  endpoint: string;
  response_status: number;
  tokens_used: number;
  request_timestamp: number;
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  outcome: string;
  access_token_id: number | null;
  attempt: number;
  error: string | null;
}

interface GroupRow {
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

const nullableNumber = (v: number | null): number | null => (v === null ? null : Number(v));

function toUsageRow(r: UsageDbRow): UsageRow {
  return {
    id: Number(r.id),
    keyId: nullableNumber(r.api_key_id),
    endpoint: r.endpoint,
    model: r.model,
    status: Number(r.response_status),
    outcome: r.outcome as OutcomeKind,
    tokens: {
      prompt: Number(r.prompt_tokens),
      completion: Number(r.completion_tokens),
      total: Number(r.tokens_used),
    },
    latencyMs: Number(r.latency_ms),
    accessTokenId: nullableNumber(r.access_token_id),
    attempt: Number(r.attempt),
    timestamp: Number(r.request_timestamp),
    error: r.error,
  };
}

const AGGREGATES =
  'COUNT(*) AS requests, ' +
  "SUM(CASE WHEN response_status >= 400 OR outcome <> 'ok' THEN 1 ELSE 0 END) AS errors, " +
  'SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, SUM(tokens_used) AS total_tokens';
const ROLLUP_AGGREGATES =
  'SUM(requests) AS requests, SUM(errors) AS errors, SUM(prompt_tokens) AS prompt_tokens, ' +
  'SUM(completion_tokens) AS completion_tokens, SUM(total_tokens) AS total_tokens';

type FineRow = GroupRow & { t: number; endpoint: string; model: string | null; status: number };
type KeyGroupRow = GroupRow & { key_id: number | null };

/** Most requests first; ties by label, ascending, with null last. */
function byRequests<K extends string | number | null>(
  a: StatsGroup & { label: K },
  b: StatsGroup & { label: K },
) {
  if (b.requests !== a.requests) return b.requests - a.requests;
  if (a.label === b.label) return 0;
  if (a.label === null) return 1;
  if (b.label === null) return -1;
  return a.label < b.label ? -1 : 1;
}

/** Sums groups sharing a label. */
function rollUp<K extends string | number | null>(
  rows: Array<GroupRow & { label: K }>,
): Array<StatsGroup & { label: K }> {
  const byLabel = new Map<K, StatsGroup>();
  for (const r of rows) {
    const g = byLabel.get(r.label) ?? { requests: 0, errors: 0, totalTokens: 0 };
    g.requests += Number(r.requests);
    g.errors += Number(r.errors);
    g.totalTokens += Number(r.total_tokens);
    byLabel.set(r.label, g);
  }
  return [...byLabel].map(([label, g]) => ({ label, ...g }));
}

export class SqlUsageStore implements UsageStore {
  constructor(private readonly driver: SqlDriver) {}

  async listUsage(query: UsageQuery): Promise<UsageRow[]> {
    return (await listUsageRows<UsageDbRow>(this.driver, query)).map(toUsageRow);
  }

  /**
   * Two scans per part of the range: one grouped by bucket, endpoint, model and status (few groups,
   * which give the totals and every breakdown but keys), one grouped by key. Whole hours before the
   * rollup watermark come from the hourly tables; only the rest scans raw rows (D1 bills rows read).
   * Buckets are aligned to multiples of `bucketMs` since the epoch.
   */
  async stats(query: StatsQuery): Promise<Stats> {
    const bucketMs = Math.max(1, Math.floor(query.bucketMs));
    const byToken = query.tokenId !== undefined;
    const plan = byToken
      ? { raw: [[query.since, query.until] as [number, number]], rollup: null }
      : planStats(query.since, query.until, bucketMs, await rolledUpUntil(this.driver));
    const tokenClause = byToken ? ' AND access_token_id = ?' : '';
    const { integer } = this.driver.dialect;
    const tokenParams = byToken ? [query.tokenId] : [];
    const fine: FineRow[] = [];
    const keyRows: KeyGroupRow[] = [];
    const ids = await idRanges(this.driver, plan.raw);
    for (const [i, [from, to]] of plan.raw.entries()) {
      const [lo, hi] = ids[i]!;
      fine.push(
        ...(await this.driver.all<FineRow>(
          `SELECT CAST(request_timestamp / ? AS ${integer}) * ? AS t, endpoint, model, response_status AS status, ${AGGREGATES} ` +
            `FROM api_key_usage WHERE ${RAW_RANGE}${tokenClause} GROUP BY 1, 2, 3, 4`,
          [bucketMs, bucketMs, lo, hi, from, to, ...tokenParams],
        )),
      );
      keyRows.push(
        ...(await this.driver.all<KeyGroupRow>(
          `SELECT api_key_id AS key_id, ${AGGREGATES} FROM api_key_usage ` +
            `WHERE ${RAW_RANGE}${tokenClause} GROUP BY api_key_id`,
          [lo, hi, from, to, ...tokenParams],
        )),
      );
    }
    if (plan.rollup) {
      const [from, to] = plan.rollup;
      fine.push(
        ...(await this.driver.all<FineRow>(
          `SELECT CAST(hour / ? AS ${integer}) * ? AS t, endpoint, NULLIF(model, '') AS model, response_status AS status, ` +
            `${ROLLUP_AGGREGATES} FROM usage_hourly WHERE hour >= ? AND hour < ? GROUP BY 1, 2, 3, 4`,
          [bucketMs, bucketMs, from, to],
        )),
      );
      keyRows.push(
        ...(await this.driver.all<KeyGroupRow>(
          `SELECT NULLIF(api_key_id, 0) AS key_id, ${ROLLUP_AGGREGATES} FROM usage_hourly_keys ` +
            'WHERE hour >= ? AND hour < ? GROUP BY api_key_id',
          [from, to],
        )),
      );
    }
    const totals = { requests: 0, errors: 0, totalTokens: 0, promptTokens: 0, completionTokens: 0 };
    const statusCounts = new Map<number, number>();
    for (const r of fine) {
      totals.requests += Number(r.requests);
      totals.errors += Number(r.errors);
      totals.totalTokens += Number(r.total_tokens);
      totals.promptTokens += Number(r.prompt_tokens);
      totals.completionTokens += Number(r.completion_tokens);
      const status = Number(r.status);
      statusCounts.set(status, (statusCounts.get(status) ?? 0) + Number(r.requests));
    }
    const keys = rollUp(keyRows.map((r) => ({ ...r, label: nullableNumber(r.key_id) }))).sort(byRequests);
    return {
      totals,
      byKey: keys.map(({ label, ...g }) => ({ keyId: label, ...g })),
      byEndpoint: rollUp(fine.map((r) => ({ ...r, label: r.endpoint })))
        .sort(byRequests)
        .map(({ label, ...g }) => ({ endpoint: label, ...g })),
      byModel: rollUp(fine.map((r) => ({ ...r, label: r.model })))
        .sort(byRequests)
        .map(({ label, ...g }) => ({ model: label, ...g })),
      byStatus: [...statusCounts]
        .map(([status, count]) => ({ status, count }))
        .sort((a, b) => a.status - b.status),
      series: rollUp(fine.map((r) => ({ ...r, label: Number(r.t) })))
        .map(({ label, ...g }) => ({ t: label, ...g }))
        .sort((a, b) => a.t - b.t),
    };
  }

  rollupUsage(before: number, maxHours: number): Promise<RollupResult> {
    return rollupUsage(this.driver, before, maxHours);
  }

  /**
   * Deletes raw rows in slices, so neither SQLite's write lock nor a D1 query runs long; then whole
   * rollup hours before `before`. The newest row always stays: without AUTOINCREMENT, SQLite would
   * hand its id out again once it was gone.
   */
  async pruneUsage(before: number): Promise<number> {
    const slice = 5000;
    const [[, hi]] = (await idRanges(this.driver, [[0, before]])) as [[number, number]];
    const newest = await this.driver.first<{ id: number }>('SELECT max(id) AS id FROM api_key_usage');
    const below = Math.min(hi, Number(newest?.id ?? 0));
    let total = 0;
    for (;;) {
      const { changes } = await this.driver.run(
        'DELETE FROM api_key_usage WHERE id IN ' +
          '(SELECT id FROM api_key_usage WHERE id < ? AND request_timestamp < ? LIMIT ?)',
        [below, before, slice],
      );
      total += changes;
      if (changes < slice) break;
    }
    await this.driver.batch([
      { sql: 'DELETE FROM usage_hourly WHERE hour <= ?', params: [before - HOUR] },
      { sql: 'DELETE FROM usage_hourly_keys WHERE hour <= ?', params: [before - HOUR] },
    ]);
    return total;
  }
}
