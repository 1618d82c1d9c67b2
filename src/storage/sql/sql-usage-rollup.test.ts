import { describe, expect, it } from 'vitest';
import { HOUR, planStats } from './sql-usage-rollup.js';

const H = 1_000 * HOUR;

describe('planStats', () => {
  it('reads everything raw before the first rollup, or with buckets shorter than an hour', () => {
    expect(planStats(H, H + 24 * HOUR, HOUR, null)).toEqual({ raw: [[H, H + 24 * HOUR]], rollup: null });
    expect(planStats(H, H + HOUR + 5, 60_000, H + HOUR)).toEqual({ raw: [[H, H + HOUR + 5]], rollup: null });
  });

  it('reads whole hours before the watermark from rollups and only the rest raw', () => {
    const until = H + 24 * HOUR + 1234;
    expect(planStats(H, until, HOUR, H + 23 * HOUR)).toEqual({
      raw: [[H + 23 * HOUR, until]],
      rollup: [H, H + 23 * HOUR],
    });
    // A range starting mid-hour reads that partial hour raw.
    expect(planStats(H + 5, until, 6 * HOUR, H + 23 * HOUR)).toEqual({
      raw: [
        [H + 5, H + HOUR],
        [H + 23 * HOUR, until],
      ],
      rollup: [H + HOUR, H + 23 * HOUR],
    });
    // A watermark past `until` uses rollups only up to the last whole hour.
    expect(planStats(H, H + 2 * HOUR + 7, HOUR, H + 5 * HOUR)).toEqual({
      raw: [[H + 2 * HOUR, H + 2 * HOUR + 7]],
      rollup: [H, H + 2 * HOUR],
    });
  });

  it('uses no rollup when the watermark is at or before the first whole hour', () => {
    expect(planStats(H + 5, H + 3 * HOUR, HOUR, H + HOUR)).toEqual({
      raw: [[H + 5, H + 3 * HOUR]],
      rollup: null,
    });
  });
});
