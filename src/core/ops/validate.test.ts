import { describe, expect, it } from 'vitest';
import { makeKey } from '../pool/make-key.js';
import { PoolService } from '../pool-service.js';
import type { Storage, Upstream, UpstreamRequest, UpstreamResponse } from '../ports.js';
import type { PoolKey, WriteBatch } from '../types.js';
import { KeyChecker, summarize } from './validate.js';

type Answer =
  { status: number; body: unknown } | Error | ((req: UpstreamRequest) => Promise<UpstreamResponse>);

/** The parts of Storage a PoolService needs here; every flush is kept. */
function fakeStorage(keys: PoolKey[]) {
  const batches: WriteBatch[] = [];
  const storage = {
    config: { getConfigValues: async () => ({}), setConfigValues: async () => {} },
    keys: { loadKeys: async () => keys, applyBatch: async (b: WriteBatch) => void batches.push(b) },
    limits: { loadLimitCounts: async () => [] },
    meta: { getMeta: async () => null },
  } as unknown as Storage;
  return { storage, batches };
}

function response(status: number, body: unknown): UpstreamResponse {
  const bytes = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    status,
    headers: {},
    bytes: async () => bytes,
    pipe: () => ({ resume: () => {}, cancel: () => {} }),
  };
}

async function setup(keys: PoolKey[], answers: Record<string, Answer>) {
  const { storage, batches } = fakeStorage(keys);
  const service = new PoolService({
    storage,
    clock: { now: () => 1_800_000_000_000 },
    random: { next: () => 0.5 },
    logger: () => {},
  });
  await service.init();
  const requests: UpstreamRequest[] = [];
  const upstream: Upstream = {
    async request(req) {
      requests.push(req);
      const answer = answers[req.headers['x-goog-api-key'] ?? ''];
      if (answer === undefined) return response(200, { models: [] });
      if (answer instanceof Error) throw answer;
      if (typeof answer === 'function') return answer(req);
      return response(answer.status, answer.body);
    },
  };
  const checker = new KeyChecker({ service, upstream, upstreamBaseUrl: 'http://upstream.test' });
  return { service, checker, requests, batches };
}

const googleError = (code: number, status: string, details: unknown[] = []) => ({
  error: { code, message: 'm', status, details },
});
const errorInfo = (reason: string, metadata: Record<string, string> = {}) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'googleapis.com',
  metadata,
});

describe('KeyChecker', () => {
  it('maps each upstream answer to a result and a state change', async () => {
    const keys = [
      makeKey(1),
      makeKey(2, { disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } }),
      makeKey(3),
      makeKey(4),
      makeKey(5, { disabled: { by: 'auto', reason: 'CONSUMER_SUSPENDED', until: null } }),
      makeKey(6),
      makeKey(7),
      makeKey(8),
      makeKey(9, { disabled: { by: 'manual', reason: 'manual', until: null } }),
      makeKey(10, { project: 'team-a' }),
    ];
    const k = (i: number) => keys[i - 1]!.apiKey;
    const { service, checker, requests, batches } = await setup(keys, {
      [k(3)]: { status: 400, body: googleError(400, 'INVALID_ARGUMENT', [errorInfo('API_KEY_INVALID')]) },
      [k(4)]: {
        status: 403,
        body: googleError(403, 'PERMISSION_DENIED', [
          errorInfo('CONSUMER_SUSPENDED', { consumer: 'projects/42' }),
        ]),
      },
      [k(5)]: { status: 429, body: googleError(429, 'RESOURCE_EXHAUSTED') },
      [k(6)]: { status: 403, body: googleError(403, 'PERMISSION_DENIED') },
      [k(7)]: { status: 503, body: googleError(503, 'UNAVAILABLE') },
      [k(8)]: new Error('connect ECONNREFUSED'),
      [k(10)]: {
        status: 403,
        body: googleError(403, 'PERMISSION_DENIED', [
          errorInfo('SERVICE_DISABLED', { consumer: 'projects/42' }),
        ]),
      },
    });
    const checks = await checker.check(null, { concurrency: 3 });
    const brief = checks.map((c) => [c.id, c.result, c.status, c.reason, c.action]);
    expect(brief).toEqual([
      [1, 'valid', 200, null, 'none'],
      [2, 'valid', 200, null, 'enabled'],
      [3, 'invalid', 400, 'API_KEY_INVALID', 'disabled'],
      [4, 'invalid', 403, 'CONSUMER_SUSPENDED', 'disabled'],
      [5, 'rate_limited', 429, 'default', 'enabled'],
      [6, 'error', 403, 'PERMISSION_DENIED', 'none'],
      [7, 'unreachable', 503, 'UNAVAILABLE', 'none'],
      [8, 'unreachable', null, 'connection', 'none'],
      [9, 'skipped', null, 'manual', 'none'],
      [10, 'invalid', 403, 'SERVICE_DISABLED', 'disabled'],
    ]);
    // Key 9 was never sent; every request lists one model on the native API, with the key in the header.
    expect(requests.map((r) => r.headers['x-goog-api-key'])).not.toContain(k(9));
    expect(requests).toHaveLength(9);
    for (const r of requests) {
      expect(r).toMatchObject({ method: 'GET', url: 'http://upstream.test/v1beta/models?pageSize=1' });
      expect(r.url).not.toContain('key=');
    }
    const pool = service.pool;
    expect(pool.get(2)?.disabled).toBeNull();
    expect(pool.get(3)?.disabled).toEqual({ by: 'auto', reason: 'API_KEY_INVALID', until: null });
    expect(pool.get(4)?.project).toBe('42');
    expect(pool.get(10)?.project).toBe('team-a');
    // The changes reached storage in the flush that ended the run.
    expect(
      batches
        .flatMap((b) => b.changes)
        .map((c) => c.keyId)
        .sort((a, b) => a - b),
    ).toEqual([2, 3, 4, 5, 10]);
    expect(summarize(checks)).toEqual({
      checked: 9,
      valid: 2,
      invalid: 3,
      rate_limited: 1,
      error: 1,
      unreachable: 2,
      skipped: 1,
      enabled: 2,
      disabled: 3,
    });
    expect(
      service.metrics.render({ keys: {}, usableKeys: 0, pendingWrites: 0, usageRowsDropped: 0 }),
    ).toContain('gkp_key_validations_total{result="valid"} 2');
  });

  it('keeps an auto-disabled key that fails the same way unchanged, and checks only known ids', async () => {
    const keys = [
      makeKey(1, { disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } }),
      makeKey(2),
    ];
    const { checker, requests, batches } = await setup(keys, {
      [keys[0]!.apiKey]: {
        status: 400,
        body: googleError(400, 'INVALID_ARGUMENT', [errorInfo('API_KEY_INVALID')]),
      },
    });
    const checks = await checker.check([1, 77]);
    expect(checks.map((c) => [c.id, c.result, c.action])).toEqual([[1, 'invalid', 'none']]);
    expect(requests).toHaveLength(1);
    expect(batches).toEqual([]);
  });

  it('a disable by hand made while the check was in flight wins', async () => {
    const keys = [makeKey(1, { disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } })];
    const live: { service?: PoolService } = {};
    const ctx = await setup(keys, {
      [keys[0]!.apiKey]: async () => {
        live.service?.pool.apply({ keyId: 1, disabled: { by: 'manual', reason: 'manual', until: null } });
        return response(200, { models: [] });
      },
    });
    live.service = ctx.service;
    const [check] = await ctx.checker.check([1]);
    expect(check).toMatchObject({ result: 'valid', action: 'none' });
    expect(ctx.service.pool.get(1)?.disabled).toMatchObject({ by: 'manual' });
  });

  it('a check that outlasts request_timeout_ms is unreachable with reason timeout', async () => {
    const keys = [makeKey(1)];
    const ctx = await setup(keys, {
      [keys[0]!.apiKey]: (req) =>
        new Promise((_resolve, reject) => {
          req.cancel.onCancel(reject);
        }),
    });
    ctx.service.applyConfig({ request_timeout_ms: '100' });
    const [check] = await ctx.checker.check([1]);
    expect(check).toMatchObject({ result: 'unreachable', status: null, reason: 'timeout', action: 'none' });
  });
});
