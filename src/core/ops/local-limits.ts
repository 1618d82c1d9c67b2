/**
 * Optional local rate limits: requests per minute and per day for each key (or each project, when
 * the key has one) and model. The pool asks `blockedUntil` while it selects, so a key at its limit
 * is skipped like a cooling key before Google answers 429. Every check and count is a map lookup.
 *
 * Windows are fixed: minutes since the epoch, and days ending at midnight Pacific time, when
 * Gemini's per-day quotas reset. Counts are kept in memory, and increments since the last flush are
 * handed to storage (`drain`), so a restart resumes from the stored counts (`load`).
 */
import { normalizeModel } from '../health/model.js';
import { DayWindow, minuteEndAt } from './limit-windows.js';
import type { LimitCount, PoolKey } from '../types.js';

/** Requests allowed per window; 0 turns a window off. */
export interface LocalLimits {
  perMinute: number;
  perDay: number;
}

interface Entry {
  subject: string;
  model: string;
  minuteEnd: number;
  minute: number;
  dayEnd: number;
  day: number;
  /** Counted in the current windows since the last drain. */
  minutePending: number;
  dayPending: number;
}

/** Who a count belongs to: the project when the key has one (quotas are per project), else the key. */
export function limitSubject(key: PoolKey): string {
  return key.project !== null ? `p:${key.project}` : `k:${key.id}`;
}

const entryId = (subject: string, model: string): string => `${subject}\u0000${model}`;

export class LocalLimiter {
  #limits: LocalLimits = { perMinute: 0, perDay: 0 };
  readonly #entries = new Map<string, Entry>();
  /** Entries with pending counts, so a count costs no allocation. */
  #dirty = new Set<Entry>();
  /** Pending counts of windows that ended before they were drained, and restored rows. */
  #overflow: LimitCount[] = [];
  readonly #day = new DayWindow();

  /** True when at least one window has a limit. */
  get enabled(): boolean {
    return this.#limits.perMinute > 0 || this.#limits.perDay > 0;
  }

  get limits(): LocalLimits {
    return { ...this.#limits };
  }

  /** Count increments not yet handed to storage. */
  get pendingSize(): number {
    return this.#dirty.size + this.#overflow.length;
  }

  /** Sets the limits; returns true when they changed. */
  setLimits(limits: LocalLimits): boolean {
    if (limits.perMinute === this.#limits.perMinute && limits.perDay === this.#limits.perDay) return false;
    this.#limits = { ...limits };
    return true;
  }

  /**
   * 0 when `key` may serve `model` now; otherwise when its full window ends. `model` must already
   * be normalized (no `models/` prefix); a request without a model is never limited.
   */
  blockedUntil(key: PoolKey, model: string | null, now: number): number {
    if (model === null || !this.enabled) return 0;
    const entry = this.#entries.get(entryId(limitSubject(key), model));
    if (!entry) return 0;
    const { perMinute, perDay } = this.#limits;
    let until = 0;
    if (perMinute > 0 && entry.minuteEnd > now && entry.minute >= perMinute) until = entry.minuteEnd;
    if (perDay > 0 && entry.dayEnd > now && entry.day >= perDay) until = Math.max(until, entry.dayEnd);
    return until;
  }

  /** Counts one request of `key` for `model` in every window that has a limit. */
  count(key: PoolKey, model: string | null, now: number): void {
    if (model === null || !this.enabled) return;
    const entry = this.#entry(limitSubject(key), normalizeModel(model));
    if (this.#limits.perMinute > 0) {
      const end = minuteEndAt(now);
      if (entry.minuteEnd !== end) {
        this.#spill(entry, 'minute');
        entry.minuteEnd = end;
        entry.minute = 0;
      }
      entry.minute++;
      entry.minutePending++;
    }
    if (this.#limits.perDay > 0) {
      const end = this.#day.endAt(now);
      if (entry.dayEnd !== end) {
        this.#spill(entry, 'day');
        entry.dayEnd = end;
        entry.day = 0;
      }
      entry.day++;
      entry.dayPending++;
    }
    this.#dirty.add(entry);
  }

  /** Adds stored counts of running windows (at start-up); windows that ended are ignored. */
  load(rows: readonly LimitCount[], now: number): void {
    for (const row of rows) {
      if (row.windowEnd <= now) continue;
      const entry = this.#entry(row.subject, normalizeModel(row.model));
      if (row.period === 'minute') {
        if (entry.minuteEnd !== row.windowEnd) {
          this.#spill(entry, 'minute');
          entry.minute = 0;
        }
        entry.minuteEnd = row.windowEnd;
        entry.minute += row.count;
      } else {
        if (entry.dayEnd !== row.windowEnd) {
          this.#spill(entry, 'day');
          entry.day = 0;
        }
        entry.dayEnd = row.windowEnd;
        entry.day += row.count;
      }
    }
  }

  /** Takes the increments counted since the last drain, one row per window. */
  drain(): LimitCount[] {
    for (const entry of this.#dirty) {
      this.#spill(entry, 'minute');
      this.#spill(entry, 'day');
    }
    this.#dirty = new Set();
    const rows = new Map<string, LimitCount>();
    for (const row of this.#overflow) {
      const id = `${row.subject}\u0000${row.model}\u0000${row.period}\u0000${row.windowEnd}`;
      const same = rows.get(id);
      if (same) same.count += row.count;
      else rows.set(id, row);
    }
    this.#overflow = [];
    return [...rows.values()];
  }

  /** Puts increments whose write failed back, to be written by a later flush. */
  restore(rows: readonly LimitCount[]): void {
    this.#overflow.push(...rows.map((r) => ({ ...r })));
  }

  /** Forgets entries whose windows have all ended, so model names sent by clients do not pile up. */
  prune(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.minuteEnd <= now && entry.dayEnd <= now && !this.#dirty.has(entry)) this.#entries.delete(id);
    }
  }

  #entry(subject: string, model: string): Entry {
    const id = entryId(subject, model);
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { subject, model, minuteEnd: 0, minute: 0, dayEnd: 0, day: 0, minutePending: 0, dayPending: 0 };
      this.#entries.set(id, entry);
    }
    return entry;
  }

  /** Moves an entry's pending count of one window into `#overflow` (before the window changes, or on drain). */
  #spill(entry: Entry, period: 'minute' | 'day'): void {
    const count = period === 'minute' ? entry.minutePending : entry.dayPending;
    if (count === 0) return;
    const windowEnd = period === 'minute' ? entry.minuteEnd : entry.dayEnd;
    this.#overflow.push({ subject: entry.subject, model: entry.model, period, windowEnd, count });
    if (period === 'minute') entry.minutePending = 0;
    else entry.dayPending = 0;
  }
}
