/** `GET /metrics`: Prometheus text format, behind the admin token or `METRICS_TOKEN`. */
import { Hono } from 'hono';
import type { AppEnv, RouteDeps } from '../context.js';

export function metricsRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { service, clock } = deps;

  app.get('/', (c) => {
    const now = clock.now();
    const keys = { active: 0, cooling: 0, disabled: 0 };
    for (const key of service.pool.list()) keys[service.pool.stateOf(key, now).state] += 1;
    const text = service.metrics.render({
      keys,
      usableKeys: service.pool.usableCount(null),
      pendingWrites: service.pendingWrites,
      usageRowsDropped: service.health().writes.usageDropped,
    });
    return c.body(text, 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'cache-control': 'no-store',
    });
  });

  return app;
}
