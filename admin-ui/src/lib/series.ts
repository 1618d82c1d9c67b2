import type { Stats } from './types.js';

export interface FilledSeries {
  xs: number[];
  requests: number[];
  errors: number[];
  tokens: number[];
}

const MAX_BUCKETS = 2000;

/**
 * One point per bucket from `since` to `until`, zero where there was no traffic: the API lists only
 * buckets that have rows, and a chart of those alone would hide the quiet stretches.
 */
export function fillSeries(stats: Stats): FilledSeries {
  const out: FilledSeries = { xs: [], requests: [], errors: [], tokens: [] };
  const step = stats.bucket_seconds;
  const since = Date.parse(stats.since) / 1000;
  const until = Date.parse(stats.until) / 1000;
  const bucketOf = (seconds: number) => Math.floor(seconds / step) * step;
  const points = new Map(stats.series.map((p) => [bucketOf(Date.parse(p.t) / 1000), p]));
  const usable =
    step > 0 && Number.isFinite(since) && Number.isFinite(until) && (until - since) / step <= MAX_BUCKETS;
  const times = usable
    ? Array.from(
        { length: Math.floor((until - bucketOf(since)) / step) + 1 },
        (_, i) => bucketOf(since) + i * step,
      )
    : [...points.keys()].sort((a, b) => a - b);
  for (const t of times) {
    const p = points.get(t);
    out.xs.push(t);
    out.requests.push(p?.requests ?? 0);
    out.errors.push(p?.errors ?? 0);
    out.tokens.push(p?.total_tokens ?? 0);
  }
  return out;
}
