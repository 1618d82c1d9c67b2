/**
 * Storage that fails for a while, then recovers (a database restart): the gateway keeps serving
 * from its snapshot, keeps every counter and state change and up to MAX_BUFFERED_USAGE_ROWS usage
 * rows (dropping and counting the rest), backs off its timed flushes, reports `degraded` on
 * `/healthz` with HTTP 200, and writes everything it kept once storage is back.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import { fakeKey } from '../support/keys.js';
import { T0, row, useInProcessSuite } from './in-process-suite.js';

const OK = { kind: 'ok' } as const;
const suite = useInProcessSuite();

/** The storage, failing every write, refresh read and probe while `down.now` is true. */
function flaky(down: { now: boolean; batches: number }) {
  return (storage: Storage): Storage => {
    const keys: Storage['keys'] = Object.create(storage.keys);
    keys.applyBatch = (batch, now) => {
      down.batches += 1;
      return down.now
        ? Promise.reject(new Error('database is unreachable'))
        : storage.keys.applyBatch(batch, now);
    };
    keys.loadChangesSince = (since) =>
      down.now ? Promise.reject(new Error('database is unreachable')) : storage.keys.loadChangesSince(since);
    return { ...storage, keys, ping: async () => !down.now && (await storage.ping()) };
  };
}

async function health(e: { gateway: { app: { fetch(r: Request): Response | Promise<Response> } } }) {
  const res = await e.gateway.app.fetch(new Request('http://gateway/healthz'));
  return { status: res.status, body: (await res.json()) as any };
}

describe('a storage outage', () => {
  it('loses nothing buffered: counters, state changes and usage rows up to the bound are written after it', async () => {
    const down = { now: false, batches: 0 };
    const e = await suite.start(flaky(down), 20);
    const [a, b] = await e.addKeys([fakeKey('outage-a'), fakeKey('outage-b')]);
    expect((await health(e)).body).toMatchObject({ status: 'ok', change_feed: 'none', pending_writes: 0 });

    down.now = true;
    for (let i = 0; i < 15; i++) e.attempt(a!, OK, 200, 'gemini-2.5-flash', 10);
    for (let i = 0; i < 14; i++) e.attempt(b!, OK, 200, 'gemini-2.5-flash', 10);
    e.attempt(
      b!,
      { kind: 'rate-limited', model: 'gemini-2.5-flash', scope: 'per_minute', retryDelayMs: 600_000 },
      429,
    );
    await expect(e.gateway.flush()).rejects.toThrow('unreachable');
    await expect(e.gateway.service.refresh()).rejects.toThrow('unreachable');
    // The snapshot still serves, with the cooldown applied in memory.
    expect(e.gateway.service.pool.pick('gemini-2.5-flash')).toMatchObject({ ok: true, key: { id: a } });

    const degraded = await health(e);
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.reasons).toEqual(['database_unreachable', 'flush_failing']);
    expect(degraded.body.pending_writes).toBeGreaterThanOrEqual(20);
    expect(degraded.body.flush_failing_since).toBe(new Date(T0).toISOString());

    // Timed flushes back off after a failure: no write is tried until the backoff has passed.
    const tried = down.batches;
    await e.gateway.service.flushWhenDue();
    expect(down.batches).toBe(tried);
    e.clock.t += 10_000;
    await expect(e.gateway.service.flushWhenDue()).rejects.toThrow('unreachable');
    expect(down.batches).toBe(tried + 1);

    down.now = false;
    e.clock.t += 10_000;
    await e.gateway.service.flushWhenDue();
    expect(row(e, 'SELECT SUM(total_requests) AS n, SUM(total_tokens) AS t FROM api_keys')).toEqual({
      n: 30,
      t: 290,
    });
    expect(row(e, 'SELECT count(*) AS n FROM api_key_usage').n).toBe(20);
    expect(row(e, 'SELECT count(*) AS n FROM key_cooldowns WHERE api_key_id = ?', b).n).toBe(1);
    expect(e.gateway.service.pendingWrites).toBe(0);
    expect((await health(e)).body).toMatchObject({ status: 'ok', pending_writes: 0 });
    const metrics = e.gateway.service.metrics.render({
      keys: {},
      usableKeys: 0,
      pendingWrites: 0,
      usageRowsDropped: e.gateway.service.health().writes.usageDropped,
    });
    expect(metrics).toContain('gkp_usage_rows_dropped_total 10');
  });
});
