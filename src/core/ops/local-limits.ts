/**
 * Optional local rate limits: requests per minute and per day for each key (or each project, when
 * the key has one) and model. The pool asks `blockedUntil` while it selects, so a key at its limit
 * is skipped like a cooling key before Google answers 429. Every check and count is a map lookup.
 *
 * Windows are fixed: minutes since the epoch, and days ending at midnight Pacific time, when
 * Gemini's per-day quotas reset. Storage holds the exact count, shared by every process: each
 * request is reserved there first (`reservation`, see `KeyLimitGate`). The counts kept here are
 * what this process saw (loaded at start, its own requests, and refusals), a lower bound of the
 * stored ones, so a key known to be full is skipped without asking storage.
 */
import { normalizeModel } from '../health/model.js';
import { DayWindow, minuteEndAt } from './limit-windows.js';
import type { KeyReservation } from '../ports.js';
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
}

/** Who a count belongs to: the project when the key has one (quotas are per project), else the key. */
export function limitSubject(key: PoolKey): string {
  return key.project !== null ? `p:${key.project}` : `k:${key.id}`;
}

const entryId = (subject: string, model: string): string => `${subject}\u0000${model}`;

export class LocalLimiter {
  #limits: LocalLimits = { perMinute: 0, perDay: 0 };
  readonly #entries = new Map<string, Entry>();
  readonly #day = new DayWindow();

  /** True when at least one window has a limit. */
  get enabled(): boolean {
    return this.#limits.perMinute > 0 || this.#limits.perDay > 0;
  }

  get limits(): LocalLimits {
    return { ...this.#limits };
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

  /**
   * What to reserve in storage for a request of `key` for `model` (already normalized), or null
   * when no limit applies to it. A window that has no limit gets the end 0 (off).
   */
  reservation(key: PoolKey, model: string | null, now: number): KeyReservation | null {
    if (model === null || !this.enabled) return null;
    const { perMinute, perDay } = this.#limits;
    return {
      subject: limitSubject(key),
      model,
      minuteEnd: perMinute > 0 ? minuteEndAt(now) : 0,
      dayEnd: perDay > 0 ? this.#day.endAt(now) : 0,
      rpm: perMinute,
      rpd: perDay,
    };
  }

  /** Counts one request of `key` for `model` in every window that has a limit (storage counted it already). */
  count(key: PoolKey, model: string | null, now: number): void {
    if (model === null || !this.enabled) return;
    const entry = this.#entry(limitSubject(key), normalizeModel(model));
    if (this.#limits.perMinute > 0) {
      this.#roll(entry, 'minute', minuteEndAt(now));
      entry.minute++;
    }
    if (this.#limits.perDay > 0) {
      this.#roll(entry, 'day', this.#day.endAt(now));
      entry.day++;
    }
  }

  /**
   * Storage refused a reservation of `key` for `model`: its count reached a limit in another
   * process. Marks the minute full (or the day, when only it has a limit), so the pick skips the
   * key until then and asks storage again after.
   */
  markFull(key: PoolKey, model: string, now: number): void {
    if (!this.enabled) return;
    const entry = this.#entry(limitSubject(key), normalizeModel(model));
    const { perMinute, perDay } = this.#limits;
    if (perMinute > 0) {
      this.#roll(entry, 'minute', minuteEndAt(now));
      entry.minute = Math.max(entry.minute, perMinute);
    } else {
      this.#roll(entry, 'day', this.#day.endAt(now));
      entry.day = Math.max(entry.day, perDay);
    }
  }

  /** Adds stored counts of running windows (at start-up); windows that ended are ignored. */
  load(rows: readonly LimitCount[], now: number): void {
    for (const row of rows) {
      if (row.windowEnd <= now) continue;
      const entry = this.#entry(row.subject, normalizeModel(row.model));
      this.#roll(entry, row.period, row.windowEnd);
      if (row.period === 'minute') entry.minute += row.count;
      else entry.day += row.count;
    }
  }

  /** Forgets entries whose windows have all ended, so model names sent by clients do not pile up. */
  prune(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.minuteEnd <= now && entry.dayEnd <= now) this.#entries.delete(id);
    }
  }

  #entry(subject: string, model: string): Entry {
    const id = entryId(subject, model);
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { subject, model, minuteEnd: 0, minute: 0, dayEnd: 0, day: 0 };
      this.#entries.set(id, entry);
    }
    return entry;
  }

  /** Starts the window ending at `end` for one period, with a zero count, unless it is the current one. */
  #roll(entry: Entry, period: 'minute' | 'day', end: number): void {
    if (period === 'minute') {
      if (entry.minuteEnd === end) return;
      entry.minuteEnd = end;
      entry.minute = 0;
    } else {
      if (entry.dayEnd === end) return;
      entry.dayEnd = end;
      entry.day = 0;
    }
  }
}
