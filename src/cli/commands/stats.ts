/** `stats`: the admin API's usage stats, from the same database (hourly rollups plus the current hour). */
import { maskKey } from '../../core/keys/mask.js';
import { KeyPool } from '../../core/pool/pool.js';
import type { StatsGroup } from '../../core/ports.js';
import type { Command } from '../command.js';
import { json, table, when } from '../format.js';
import { UsageError } from '../io.js';

const HOUR = 3_600_000;
const RANGES: Record<string, { span: number; bucket: number }> = {
  hour: { span: HOUR, bucket: 60_000 },
  day: { span: 24 * HOUR, bucket: HOUR },
  week: { span: 7 * 24 * HOUR, bucket: 6 * HOUR },
};
const TOP = 10;

const group = (g: StatsGroup) => ({ requests: g.requests, errors: g.errors, total_tokens: g.totalTokens });
const cells = (g: StatsGroup) => [String(g.requests), String(g.errors), String(g.totalTokens)];

export const stats: Command = {
  name: 'stats',
  summary: 'Usage totals and breakdowns by model, endpoint, key and status',
  args: '',
  options: {
    range: { type: 'string', value: 'RANGE', description: 'hour, day (default) or week' },
  },
  async run(ctx, values) {
    const rangeName = (values.range as string | undefined) ?? 'day';
    const range = RANGES[rangeName];
    if (!range) throw new UsageError('--range must be hour, day or week');
    const until = Date.now();
    const since = Math.floor((until - range.span) / range.bucket) * range.bucket;
    const { stats: s, pool } = await ctx.withStorage(async (storage) => {
      const pool = new KeyPool({ clock: { now: () => until }, random: { next: () => Math.random() } });
      pool.replaceAll(await storage.keys.loadKeys());
      return { stats: await storage.usage.stats({ since, until, bucketMs: range.bucket }), pool };
    });
    const keys = { total: pool.size, active: 0, cooling: 0, disabled: 0 };
    for (const key of pool.list()) keys[pool.stateOf(key, until).state] += 1;
    const masked = (id: number | null) => {
      const key = id === null ? undefined : pool.get(id);
      return key ? maskKey(key.apiKey) : null;
    };
    if (ctx.json) {
      ctx.io.out(
        json({
          range: rangeName,
          since: new Date(since).toISOString(),
          until: new Date(until).toISOString(),
          totals: {
            requests: s.totals.requests,
            errors: s.totals.errors,
            prompt_tokens: s.totals.promptTokens,
            completion_tokens: s.totals.completionTokens,
            total_tokens: s.totals.totalTokens,
          },
          by_key: s.byKey.map((g) => ({ key_id: g.keyId, key: masked(g.keyId), ...group(g) })),
          by_endpoint: s.byEndpoint.map((g) => ({ endpoint: g.endpoint, ...group(g) })),
          by_model: s.byModel.map((g) => ({ model: g.model, ...group(g) })),
          by_status: s.byStatus,
          keys,
        }),
      );
      return 0;
    }
    const t = s.totals;
    const lines = [
      `Usage over the last ${rangeName} (${when(since)} to ${when(until)})`,
      `Requests ${t.requests}, errors ${t.errors}, tokens ${t.totalTokens} (prompt ${t.promptTokens}, completion ${t.completionTokens})`,
      `Keys ${keys.total}: ${keys.active} active, ${keys.cooling} cooling, ${keys.disabled} disabled`,
    ];
    if (t.requests > 0) {
      const heads = ['REQUESTS', 'ERRORS', 'TOKENS'];
      lines.push(
        '',
        table(
          ['MODEL', ...heads],
          s.byModel.map((g) => [g.model ?? '-', ...cells(g)]),
        ),
      );
      lines.push(
        '',
        table(
          ['ENDPOINT', ...heads],
          s.byEndpoint.map((g) => [g.endpoint, ...cells(g)]),
        ),
      );
      const top = s.byKey
        .slice(0, TOP)
        .map((g) => [String(g.keyId ?? '-'), masked(g.keyId) ?? '-', ...cells(g)]);
      lines.push('', table(['KEY ID', 'KEY', ...heads], top));
      if (s.byKey.length > TOP) lines.push(`(${s.byKey.length - TOP} more keys; use --json for all)`);
      lines.push('', `Statuses: ${s.byStatus.map((b) => `${b.status} x${b.count}`).join(', ')}`);
    }
    ctx.io.out(lines.join('\n'));
    return 0;
  },
};
