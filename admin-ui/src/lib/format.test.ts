import { describe, expect, it } from 'vitest';
import { formatWhen } from './format.js';

/** Local time, as the panel shows it. */
const at = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo - 1, d, h, mi);

describe('formatWhen', () => {
  const now = at(2026, 11, 27, 10, 25);

  it('gives only the clock time for today, and the date too for any other day', () => {
    expect(formatWhen(at(2026, 11, 27, 14, 3).toISOString(), now)).toBe('14:03');
    expect(formatWhen(at(2026, 11, 28, 8, 0).toISOString(), now)).toBe('11-28 08:00');
    expect(formatWhen(at(2027, 1, 2, 8, 0).toISOString(), now)).toBe('2027-01-02 08:00');
  });

  it('passes through what is not a date', () => {
    expect(formatWhen('soon', now)).toBe('soon');
  });
});
