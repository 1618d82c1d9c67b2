import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  defaultConfigRows,
  parseConfig,
  resolveConfigValues,
  validateConfigPatch,
} from './config.js';

describe('validateConfigPatch', () => {
  it('accepts good values, normalising numbers and flags to strings', () => {
    expect(
      validateConfigPatch({
        rotation_strategy: 'least_used',
        max_retries: 2,
        request_timeout_ms: ' 5000 ',
        enable_usage_tracking: false,
      }),
    ).toEqual({
      ok: true,
      values: {
        rotation_strategy: 'least_used',
        max_retries: '2',
        request_timeout_ms: '5000',
        enable_usage_tracking: '0',
      },
    });
  });

  it.each([
    [{ max_retries: -1 }, 'max_retries', 'between 0 and 20'],
    [{ max_retries: 1e9 }, 'max_retries', 'between 0 and 20'],
    [{ max_retries: 'NaN' }, 'max_retries', 'must be a number'],
    [{ max_retries: 1.5 }, 'max_retries', 'whole number'],
    [{ max_retries: 'Infinity' }, 'max_retries', 'must be a number'],
    [{ max_retries: '' }, 'max_retries', 'must not be empty'],
    [{ max_retries: null }, 'max_retries', 'must not be empty'],
    [{ max_retries: [1] }, 'max_retries', 'string, number or boolean'],
    [{ max_retries: { n: 1 } }, 'max_retries', 'string, number or boolean'],
    [{ rotation_strategy: 'fastest' }, 'rotation_strategy', 'one of round_robin'],
    [{ enable_usage_tracking: 2 }, 'enable_usage_tracking', '0 or 1'],
    [{ no_such_key: 1 }, 'no_such_key', 'is not a config key'],
  ])('refuses %j with a message for the key', (patch, key, message) => {
    const result = validateConfigPatch(patch);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[key]).toContain(message);
  });

  it('refuses the whole patch when any value is bad, and non-objects and empty objects', () => {
    expect(validateConfigPatch({ max_retries: 2, rotation_strategy: 'nope' }).ok).toBe(false);
    expect(validateConfigPatch([]).ok).toBe(false);
    expect(validateConfigPatch('max_retries=2').ok).toBe(false);
    expect(validateConfigPatch({}).ok).toBe(false);
  });
});

describe('resolveConfigValues and parseConfig', () => {
  it('fills defaults for missing or hand-edited invalid rows', () => {
    const values = resolveConfigValues({ max_retries: 'lots', rotation_strategy: 'random' });
    expect(values.max_retries).toBe('3');
    expect(values.rotation_strategy).toBe('random');
    const config = parseConfig({ error_reset_interval: '60', enable_usage_tracking: '0' });
    expect(config.errorResetIntervalMs).toBe(60_000);
    expect(config.enableUsageTracking).toBe(false);
    expect(config.maxErrorsThreshold).toBe(5);
  });

  it('has a default row with a description for every key', () => {
    const rows = defaultConfigRows();
    expect(rows.map((r) => r.key)).toEqual(CONFIG_KEYS);
    for (const row of rows) {
      expect(row.description.length).toBeGreaterThan(10);
      expect(validateConfigPatch({ [row.key]: row.value }).ok).toBe(true);
    }
  });
});
