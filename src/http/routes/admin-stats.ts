/** `/admin/api/stats`, `/admin/api/usage` and `/admin/api/session`. Contract: docs/admin-api.md. */
import { Hono } from 'hono';
import { maskKey } from '../../core/keys/mask.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { isoTime } from '../../core/access-tokens.js';
import { intParam } from './params.js';

const HOUR = 3_600_000;
const RANGES = {
  hour: { span: HOUR, bucket: 60_000 },
  day: { span: 24 * HOUR, bucket: HOUR },
  week: { span: 7 * 24 * HOUR, bucket: 6 * HOUR },
} as const;

export function adminStatsRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { storage, service, clock } = deps;
  const pool = service.pool;
  const maskedKey = (id: number | null) => {
    const key = id === null ? undefined : pool.get(id);
    return key ? maskKey(key.apiKey) : null;
  };

  app.get('/session', (c) => c.json({ ok: true }));

  app.get('/stats', async (c) => {
    const rangeName = c.req.query('range') ?? 'day';
    if (!Object.hasOwn(RANGES, rangeName)) {
      throw new GatewayError(400, "'range' must be hour, day or week", 'invalid_parameter', {
        param: 'range',
      });
    }
    const range = RANGES[rangeName as keyof typeof RANGES];
    await service.flush().catch(() => undefined);
    const until = clock.now();
    const since = Math.floor((until - range.span) / range.bucket) * range.bucket;
    const stats = await storage.usage.stats({ since, until, bucketMs: range.bucket });
    const keys = { total: pool.size, active: 0, cooling: 0, disabled: 0 };
    for (const key of pool.list()) keys[pool.stateOf(key, until).state] += 1;
    const group = (g: { requests: number; errors: number; totalTokens: number }) => ({
      requests: g.requests,
      errors: g.errors,
      total_tokens: g.totalTokens,
    });
    return c.json({
      range: rangeName,
      since: isoTime(since),
      until: isoTime(until),
      bucket_seconds: range.bucket / 1000,
      totals: {
        requests: stats.totals.requests,
        errors: stats.totals.errors,
        prompt_tokens: stats.totals.promptTokens,
        completion_tokens: stats.totals.completionTokens,
        total_tokens: stats.totals.totalTokens,
      },
      by_key: stats.byKey.map((g) => ({ key_id: g.keyId, key: maskedKey(g.keyId), ...group(g) })),
      by_endpoint: stats.byEndpoint.map((g) => ({ endpoint: g.endpoint, ...group(g) })),
      by_model: stats.byModel.map((g) => ({ model: g.model, ...group(g) })),
      by_status: stats.byStatus,
      series: stats.series.map((g) => ({ t: isoTime(g.t), ...group(g) })),
      keys,
    });
  });

  app.get('/usage', async (c) => {
    const limit = intParam(c.req.query('limit'), 'limit', 50, 1, 500);
    const before = c.req.query('before');
    const keyId = c.req.query('key_id');
    const status = c.req.query('status');
    const model = c.req.query('model');
    const endpoint = c.req.query('endpoint');
    await service.flush().catch(() => undefined);
    const rows = await storage.usage.listUsage({
      limit,
      beforeId: before ? intParam(before, 'before', 0, 1, Number.MAX_SAFE_INTEGER) : undefined,
      keyId: keyId ? intParam(keyId, 'key_id', 0, 1, Number.MAX_SAFE_INTEGER) : undefined,
      status: status ? intParam(status, 'status', 0, 0, 999) : undefined,
      model: model ? model.slice(0, 200) : undefined,
      endpoint: endpoint ? endpoint.slice(0, 200) : undefined,
    });
    return c.json({
      usage: rows.map((r) => ({
        id: r.id,
        time: isoTime(r.timestamp),
        key_id: r.keyId,
        key: maskedKey(r.keyId),
        endpoint: r.endpoint,
        model: r.model,
        status: r.status,
        outcome: r.outcome,
        prompt_tokens: r.tokens.prompt,
        completion_tokens: r.tokens.completion,
        total_tokens: r.tokens.total,
        latency_ms: r.latencyMs,
        attempt: r.attempt,
        error: r.error,
      })),
      next_before: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
    });
  });

  return app;
}
