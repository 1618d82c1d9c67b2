/** `POST /admin/api/keys/validate`: checks keys upstream and updates their state. Contract: docs/admin-api.md. */
import { Hono } from 'hono';
import { DEFAULT_CHECK_CONCURRENCY, summarize, type KeyChecker } from '../../core/ops/validate.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { readJsonBody } from '../request-body.js';
import { webBody } from '../client-request.js';

const MAX_IDS = 100_000;
const MAX_CONCURRENCY = 32;
const FIELDS = new Set(['ids', 'concurrency']);

function idsParam(value: unknown): number[] | null {
  if (value === undefined || value === null) return null;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_IDS ||
    !value.every((id) => Number.isSafeInteger(id) && (id as number) >= 1)
  ) {
    throw new GatewayError(
      400,
      `'ids' must be a non-empty array of at most ${MAX_IDS} positive key ids; leave it out to check every key`,
      'invalid_ids',
      { param: 'ids' },
    );
  }
  return [...new Set(value as number[])];
}

function concurrencyParam(value: unknown): number {
  if (value === undefined) return DEFAULT_CHECK_CONCURRENCY;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_CONCURRENCY) {
    throw new GatewayError(
      400,
      `'concurrency' must be a whole number from 1 to ${MAX_CONCURRENCY}`,
      'invalid_concurrency',
      {
        param: 'concurrency',
      },
    );
  }
  return value as number;
}

export function adminValidateRoutes(deps: RouteDeps & { checker: KeyChecker }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { service, checker, clock } = deps;

  app.post('/', async (c) => {
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const unknown = Object.keys(json).filter((k) => !FIELDS.has(k));
    if (unknown.length > 0) {
      throw new GatewayError(
        400,
        `Unknown field(s): ${unknown.slice(0, 5).join(', ')}; send {"ids":[…]} or {}`,
        'invalid_field',
      );
    }
    const ids = idsParam(json.ids);
    const concurrency = concurrencyParam(json.concurrency);
    // Keys added or changed elsewhere (the CLI, another isolate) are checked as they are now.
    await service.refresh();
    const notFound = ids === null ? [] : ids.filter((id) => service.pool.get(id) === undefined);
    const checks = await checker.check(ids, { concurrency });
    const now = clock.now();
    return c.json({
      results: checks.map((check) => {
        const key = service.pool.get(check.id);
        return { ...check, state: key ? service.pool.stateOf(key, now).state : null };
      }),
      summary: summarize(checks),
      not_found: notFound,
    });
  });

  return app;
}
