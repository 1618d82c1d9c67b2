/**
 * `gateway.runMaintenance()` (the Node timer and the Worker's cron both call it) with an injected
 * clock: error-count reset, end of temporary disables, cooldown expiry, the scheduled re-check of
 * auto-disabled keys and local-limit counts. Retention and rollups: rollups.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { maskKey } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { HOUR, MINUTE, T0, row, rows, useInProcessSuite } from './in-process-suite.js';

const KEY_ERROR = { kind: 'key-error', status: 403, reason: 'PERMISSION_DENIED' } as const;

const { mock, start } = useInProcessSuite();

describe('scheduled maintenance', () => {
  it('resets error counts after error_reset_interval and ends temporary disables then', async () => {
    const e = await start();
    await e.setConfig({ max_errors_threshold: 3, error_reset_interval: 600 });
    const [erring, disabled] = await e.addKeys([fakeKey('sched-erring'), fakeKey('sched-disabled')]);
    e.attempt(erring!, KEY_ERROR, 403);
    e.attempt(erring!, KEY_ERROR, 403);
    for (let i = 0; i < 3; i++) e.attempt(disabled!, KEY_ERROR, 403);
    const pool = e.gateway.service.pool;
    expect(pool.get(disabled!)?.disabled).toEqual({
      by: 'auto',
      reason: 'TOO_MANY_ERRORS',
      until: T0 + 600_000,
    });
    await e.gateway.flush();

    e.clock.t = T0 + 599_999;
    expect(await e.gateway.runMaintenance()).toMatchObject({ keysReenabled: 0, errorCountsReset: 0 });
    expect(row(e, 'SELECT disabled_by, is_active FROM api_keys WHERE id = ?', disabled)).toEqual({
      disabled_by: 'auto',
      is_active: 0,
    });
    expect(row(e, 'SELECT consecutive_errors FROM api_keys WHERE id = ?', erring).consecutive_errors).toBe(2);

    e.clock.t = T0 + 600_000;
    expect(await e.gateway.runMaintenance()).toMatchObject({ keysReenabled: 1, errorCountsReset: 1 });
    expect(
      rows(e, 'SELECT id, disabled_by, is_active, consecutive_errors FROM api_keys ORDER BY id'),
    ).toEqual([
      { id: erring, disabled_by: null, is_active: 1, consecutive_errors: 0 },
      { id: disabled, disabled_by: null, is_active: 1, consecutive_errors: 0 },
    ]);
    expect(pool.get(erring!)?.consecutiveErrors).toBe(0);
    expect(pool.get(disabled!)?.disabled).toBeNull();
    // The lifetime error counter is not a consecutive count: it stays.
    expect(pool.get(disabled!)?.errorCount).toBe(3);
  });

  it('clears a cooldown once it has ended', async () => {
    const e = await start();
    const [id] = await e.addKeys([fakeKey('sched-cool')]);
    e.attempt(
      id!,
      { kind: 'rate-limited', model: 'gemini-2.5-flash', scope: 'per_minute', retryDelayMs: 30_000 },
      429,
    );
    await e.gateway.flush();
    expect(e.gateway.service.pool.pick('gemini-2.5-flash')).toEqual({
      ok: false,
      reason: 'cooling',
      retryAfterMs: 30_000,
    });

    e.clock.t = T0 + 29_999;
    expect(await e.gateway.runMaintenance()).toMatchObject({ cooldownsCleared: 0 });
    expect(rows(e, 'SELECT model, until_ms FROM key_cooldowns')).toEqual([
      { model: 'gemini-2.5-flash', until_ms: T0 + 30_000 },
    ]);
    e.clock.t = T0 + 30_000;
    expect(await e.gateway.runMaintenance()).toMatchObject({ cooldownsCleared: 1 });
    expect(rows(e, 'SELECT * FROM key_cooldowns')).toEqual([]);
    expect(e.gateway.service.pool.get(id!)?.cooldowns).toEqual([]);
    expect(e.gateway.service.pool.pick('gemini-2.5-flash')).toMatchObject({ ok: true, key: { id } });
  });

  it('re-checks auto-disabled keys every revalidate_interval_minutes; hand-disabled keys are never sent', async () => {
    const e = await start();
    const REVIVED = fakeKey('sched-rv-revd');
    const STILL = fakeKey('sched-rv-stil');
    const MANUAL = fakeKey('sched-rv-manl');
    const ids = await e.addKeys([REVIVED, STILL, MANUAL]);
    const service = e.gateway.service;
    service.applyChanges(
      ids.slice(0, 2).map((keyId) => ({
        keyId,
        disabled: { by: 'auto' as const, reason: 'API_KEY_INVALID', until: null },
      })),
    );
    await e.storage.keys.updateKey(ids[2]!, { isActive: false }, T0);
    await e.gateway.flush();
    mock().setKey(STILL, 'invalid');

    const report = await e.gateway.runMaintenance();
    expect(report.revalidation).toEqual({ checked: 2, reenabled: 1, passComplete: true });
    expect(mock().stats().byKey).toEqual({ [maskKey(REVIVED)]: 1, [maskKey(STILL)]: 1 });
    expect(service.pool.get(ids[0]!)?.disabled).toBeNull();
    expect(row(e, 'SELECT is_active FROM api_keys WHERE id = ?', ids[0]).is_active).toBe(1);
    expect(service.pool.get(ids[1]!)?.disabled).toMatchObject({ by: 'auto', reason: 'API_KEY_INVALID' });
    expect(service.pool.get(ids[2]!)?.disabled).toMatchObject({ by: 'manual' });

    e.clock.t = T0 + 59 * MINUTE;
    expect((await e.gateway.runMaintenance()).revalidation).toBeNull();
    e.clock.t = T0 + 60 * MINUTE;
    expect((await e.gateway.runMaintenance()).revalidation).toEqual({
      checked: 1,
      reenabled: 0,
      passComplete: true,
    });
    expect(mock().stats().byKey).toEqual({ [maskKey(REVIVED)]: 1, [maskKey(STILL)]: 2 });

    await e.setConfig({ revalidate_interval_minutes: 0 });
    e.clock.t = T0 + 10 * HOUR;
    expect((await e.gateway.runMaintenance()).revalidation).toBeNull();
    expect(mock().stats().requests).toBe(3);
  });

  it('re-checks at most 40 keys per run, and continues the pass at the next run', async () => {
    const e = await start();
    const ids = await e.addKeys(
      Array.from({ length: 45 }, (_, i) => fakeKey(`sched-batch-${String(i).padStart(3, '0')}`)),
    );
    e.gateway.service.applyChanges(
      ids.map((keyId) => ({
        keyId,
        disabled: { by: 'auto' as const, reason: 'API_KEY_INVALID', until: null },
      })),
    );
    await e.gateway.flush();
    for (const id of ids) mock().setKey(e.gateway.service.pool.get(id)!.apiKey, 'invalid');

    expect((await e.gateway.runMaintenance()).revalidation).toEqual({
      checked: 40,
      reenabled: 0,
      passComplete: false,
    });
    e.clock.t = T0 + MINUTE;
    expect((await e.gateway.runMaintenance()).revalidation).toEqual({
      checked: 5,
      reenabled: 0,
      passComplete: true,
    });
    e.clock.t = T0 + 2 * MINUTE;
    expect((await e.gateway.runMaintenance()).revalidation).toBeNull();
    // Every key was checked exactly once.
    const counts = Object.values(mock().stats().byKey);
    expect(counts).toHaveLength(45);
    expect(counts.every((n) => n === 1)).toBe(true);
  });

  it('drops local-limit counts of windows that have ended', async () => {
    const e = await start();
    await e.setConfig({ local_rpm_limit: 10, local_rpd_limit: 100 });
    const [id] = await e.addKeys([fakeKey('sched-limits')]);
    expect(
      await e.gateway.service.keyLimits.admit(e.gateway.service.pool.get(id!)!, 'gemini-2.5-flash'),
    ).toBe(true);
    expect(rows(e, 'SELECT period, count FROM local_limit_counts ORDER BY period')).toEqual([
      { period: 'day', count: 1 },
      { period: 'minute', count: 1 },
    ]);
    e.clock.t = T0 + MINUTE;
    expect((await e.gateway.runMaintenance()).limitCountsPruned).toBe(1);
    expect(rows(e, 'SELECT period FROM local_limit_counts')).toEqual([{ period: 'day' }]);
  });

  it('sweeps ownership records of expired resources and keeps live ones', async () => {
    const e = await start();
    const [id] = await e.addKeys([fakeKey('sched-resources')]);
    const record = (name: string, expiresAt: number | null) =>
      e.storage.resources.recordOwner({
        name,
        keyId: id!,
        project: null,
        accessTokenId: null,
        upstream: null,
        createdAt: T0,
        expiresAt,
      });
    await record('files/old', T0 + 1000);
    await record('files/live', T0 + 2 * MINUTE);
    await record('batches/b', null);
    e.clock.t = T0 + MINUTE;
    expect((await e.gateway.runMaintenance()).resourcesExpired).toBe(1);
    expect(rows(e, 'SELECT name FROM resource_owners ORDER BY name')).toEqual([
      { name: 'batches/b' },
      { name: 'files/live' },
    ]);
  });
});

describe('snapshot refresh', () => {
  it('a refresh asked for while another is in flight still sees a key added in between', async () => {
    let gate: Promise<void> | null = null;
    const e = await start((s) => ({
      ...s,
      keys: Object.assign(Object.create(s.keys) as typeof s.keys, {
        loadChangesSince: async (since: number) => {
          const result = s.keys.loadChangesSince(since);
          await gate;
          return result;
        },
      }),
    }));
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const inFlight = e.gateway.service.refresh();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await e.storage.keys.addKeys([{ apiKey: fakeKey('sched-race') }], T0);
    const mine = e.gateway.service.refresh();
    open();
    await inFlight;
    await mine;
    expect(e.gateway.service.pool.list().map((k) => maskKey(k.apiKey))).toEqual([
      maskKey(fakeKey('sched-race')),
    ]);
  });
});
