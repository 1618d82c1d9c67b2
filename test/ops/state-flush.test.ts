/**
 * Key state changes reach storage on their own within tens of ms (so other gateways on the same
 * database honour a cooldown or a disable soon), while counters and usage rows wait for the
 * periodic flush.
 */
import { describe, expect, it, vi } from 'vitest';
import { fakeKey } from '../support/keys.js';
import { row, useInProcessSuite } from './in-process-suite.js';

const { start } = useInProcessSuite();

describe('prompt state flush', () => {
  it('writes a cooldown and a disable without waiting for the flush interval; counters wait', async () => {
    const e = await start();
    const [cooled, invalid] = await e.addKeys([fakeKey('state-cool'), fakeKey('state-invalid')]);
    e.attempt(
      cooled!,
      { kind: 'rate-limited', model: 'gemini-2.5-flash', scope: 'per_minute', retryDelayMs: 30_000 },
      429,
    );
    e.attempt(invalid!, { kind: 'key-fatal', reason: 'API_KEY_INVALID' }, 400);
    // No flush is called here: the in-process gateway has no interval timer.
    await vi.waitFor(() => {
      expect(row(e, 'SELECT count(*) AS n FROM key_cooldowns WHERE api_key_id = ?', cooled).n).toBe(1);
      expect(row(e, 'SELECT is_active, disabled_reason FROM api_keys WHERE id = ?', invalid)).toEqual({
        is_active: 0,
        disabled_reason: 'API_KEY_INVALID',
      });
    });
    expect(row(e, 'SELECT SUM(total_requests) AS n FROM api_keys').n).toBe(0);
    expect(row(e, 'SELECT count(*) AS n FROM api_key_usage').n).toBe(0);
    expect(e.gateway.service.pendingWrites).toBeGreaterThan(0);

    await e.gateway.flush();
    expect(row(e, 'SELECT SUM(total_requests) AS n FROM api_keys').n).toBe(2);
    expect(row(e, 'SELECT count(*) AS n FROM api_key_usage').n).toBe(2);
  });
});
