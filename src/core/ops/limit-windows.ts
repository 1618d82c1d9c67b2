/**
 * The fixed windows every limit counts in, local key limits and token limits alike: minutes since
 * the epoch, and days ending at midnight Pacific time, when Gemini's per-day quotas reset.
 */
import { nextPacificMidnight } from '../health/transitions.js';

export const MINUTE_MS = 60_000;
/** A Pacific day lasts at most 25 hours (the day DST ends). */
const LONGEST_DAY_MS = 25 * 3_600_000;

/** The end of the minute containing `now`. */
export function minuteEndAt(now: number): number {
  return Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
}

/** The end of the Pacific day containing `now`, computed once a day (the clock may also jump back in tests). */
export class DayWindow {
  #end = 0;

  endAt(now: number): number {
    if (now >= this.#end || now < this.#end - LONGEST_DAY_MS) this.#end = nextPacificMidnight(now);
    return this.#end;
  }
}
