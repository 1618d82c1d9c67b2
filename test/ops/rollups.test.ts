/**
 * `gateway.runMaintenance()` with an injected clock: usage retention and hourly rollups, and
 * stats that read the rollups instead of raw rows.
 */
import { describe, expect, it } from 'vitest';
import { fakeKey } from '../support/keys.js';
import { HOUR, MINUTE, T0, row, rows, useInProcessSuite } from './in-process-suite.js';

const OK = { kind: 'ok' } as const;

const { start } = useInProcessSuite();

describe('usage rollups and retention', () => {
  it('deletes usage rows, and hourly rollups, older than usage_retention_days', async () => {
    const e = await start();
    await e.setConfig({ usage_retention_days: 1 });
    const [id] = await e.addKeys([fakeKey('sched-retain')]);
    e.attempt(id!, OK, 200);
    e.clock.t = T0 + 2 * HOUR;
    e.attempt(id!, OK, 200);
    await e.gateway.flush();
    e.clock.t = T0 + 3 * HOUR;
    expect(await e.gateway.runMaintenance()).toMatchObject({ usagePruned: 0, usageHoursRolledUp: 2 });
    expect(row(e, 'SELECT count(*) AS n FROM usage_hourly').n).toBe(1);

    e.clock.t = T0 + 25 * HOUR;
    expect(await e.gateway.runMaintenance()).toMatchObject({ usagePruned: 1 });
    expect(rows(e, 'SELECT request_timestamp FROM api_key_usage')).toEqual([
      { request_timestamp: T0 + 2 * HOUR },
    ]);
    // The rollup of the hour at T0 went with it; the one at T0 + 2 h stays.
    expect(rows(e, 'SELECT hour FROM usage_hourly')).toEqual([{ hour: T0 + 2 * HOUR }]);
    expect(rows(e, 'SELECT hour FROM usage_hourly_keys')).toEqual([{ hour: T0 + 2 * HOUR }]);
  });

  it('folds finished hours into rollups idempotently, and stats read them instead of raw rows', async () => {
    const e = await start();
    const [a, b] = await e.addKeys([fakeKey('sched-roll-a'), fakeKey('sched-roll-b')]);
    e.clock.t = T0 + 10 * MINUTE;
    e.attempt(a!, OK, 200, 'gemini-2.5-flash', 10);
    e.attempt(b!, OK, 200, 'gemini-2.5-flash', 20);
    e.clock.t = T0 + 70 * MINUTE;
    e.attempt(a!, { kind: 'rate-limited', model: 'gemini-2.5-pro', scope: 'default' }, 429, 'gemini-2.5-pro');
    e.attempt(b!, OK, 200, 'gemini-2.5-pro', 5);
    e.clock.t = T0 + 130 * MINUTE;
    e.attempt(b!, OK, 200, null, 0);
    await e.gateway.flush();
    const usage = e.gateway.service.storage.usage;
    const day = async () => usage.stats({ since: T0 - 21 * HOUR, until: e.clock.t + 1, bucketMs: HOUR });
    const before = await day();
    expect(before.totals).toMatchObject({ requests: 5, errors: 1, totalTokens: 35 });

    // 5 minutes' grace after an hour ends: at 3 h 04 the hour from 2 h is not folded yet.
    e.clock.t = T0 + 3 * HOUR + 4 * MINUTE;
    expect((await e.gateway.runMaintenance()).usageHoursRolledUp).toBe(2);
    const hourly = () =>
      rows(
        e,
        'SELECT hour, endpoint, model, response_status, requests, errors, total_tokens FROM usage_hourly ORDER BY hour, model, response_status',
      );
    expect(hourly()).toEqual([
      {
        hour: T0,
        endpoint: 'chat.completions',
        model: 'gemini-2.5-flash',
        response_status: 200,
        requests: 2,
        errors: 0,
        total_tokens: 30,
      },
      {
        hour: T0 + HOUR,
        endpoint: 'chat.completions',
        model: 'gemini-2.5-pro',
        response_status: 200,
        requests: 1,
        errors: 0,
        total_tokens: 5,
      },
      {
        hour: T0 + HOUR,
        endpoint: 'chat.completions',
        model: 'gemini-2.5-pro',
        response_status: 429,
        requests: 1,
        errors: 1,
        total_tokens: 0,
      },
    ]);
    e.clock.t = T0 + 3 * HOUR + 6 * MINUTE;
    expect((await e.gateway.runMaintenance()).usageHoursRolledUp).toBe(1);
    expect((await e.gateway.runMaintenance()).usageHoursRolledUp).toBe(0);
    const folded = hourly();
    const foldedKeys = rows(e, 'SELECT * FROM usage_hourly_keys ORDER BY hour, api_key_id');
    expect(folded).toHaveLength(4);
    expect(folded[3]).toMatchObject({ hour: T0 + 2 * HOUR, model: '', requests: 1 });
    expect(foldedKeys).toHaveLength(5);
    expect(row(e, "SELECT value FROM pool_meta WHERE key = 'usage_rollup_until'").value).toBe(
      String(T0 + 3 * HOUR),
    );

    // Folding the same hours again (a run that died half-way, two isolates at once) changes nothing.
    e.db.prepare("UPDATE pool_meta SET value = ? WHERE key = 'usage_rollup_until'").run(String(T0));
    expect((await e.gateway.runMaintenance()).usageHoursRolledUp).toBe(3);
    expect(hourly()).toEqual(folded);
    expect(rows(e, 'SELECT * FROM usage_hourly_keys ORDER BY hour, api_key_id')).toEqual(foldedKeys);

    // Stats over whole hours now come from the rollups: without the raw rows they are unchanged.
    const after = await day();
    expect(after).toEqual({ ...before, series: before.series });
    e.db.prepare('DELETE FROM api_key_usage WHERE request_timestamp < ?').run(T0 + 3 * HOUR);
    expect(await day()).toEqual(after);
    // Minute buckets cannot use hourly rollups: that range reads raw rows (now gone).
    expect((await usage.stats({ since: T0, until: T0 + HOUR, bucketMs: MINUTE })).totals.requests).toBe(0);

    // The hour still running is read raw and added to the rolled-up hours.
    e.attempt(a!, OK, 200, 'gemini-2.5-flash', 1);
    await e.gateway.flush();
    const live = await day();
    expect(live.totals.requests).toBe(6);
    expect(live.byKey).toEqual([
      { keyId: a, requests: 3, errors: 1, totalTokens: 11 },
      { keyId: b, requests: 3, errors: 0, totalTokens: 25 },
    ]);
    expect(live.byModel.map((m) => [m.model, m.requests])).toEqual([
      ['gemini-2.5-flash', 3],
      ['gemini-2.5-pro', 2],
      [null, 1],
    ]);
  });
});
