/**
 * Shared local key limits: before each upstream attempt with a limited model, the key's request is
 * reserved in storage by one atomic conditional increment (batched like token reservations), so
 * `local_rpm_limit`/`local_rpd_limit` hold exactly across every process on the same database. A
 * refused key is marked full in memory until its window ends, and the caller picks another.
 * With both limits off this costs nothing: `applies` is false and storage is never asked.
 */
import { normalizeModel } from '../health/model.js';
import { redactSecrets } from '../keys/redact.js';
import type { Clock, KeyReservation, LimitStore, Logger } from '../ports.js';
import type { PoolKey } from '../types.js';
import type { LocalLimiter } from './local-limits.js';
import { ReservationBatch, type BatchWindow } from './reservation-batch.js';

/** A failing reservation is logged at most once per this long. */
const FAILURE_LOG_MS = 60_000;

export class KeyLimitGate {
  readonly #batch: ReservationBatch<KeyReservation>;
  #loggedAt = -Infinity;
  #unlogged = 0;

  constructor(
    private readonly deps: {
      limits: LimitStore;
      limiter: LocalLimiter;
      clock: Clock;
      logger: Logger;
      batchWindow?: BatchWindow;
    },
  ) {
    this.#batch = new ReservationBatch((rs) => deps.limits.reserveKeyRequests(rs), deps.batchWindow);
  }

  /** True when a request for `model` must be admitted here before its upstream call. */
  applies(model: string | null): model is string {
    return model !== null && this.deps.limiter.enabled;
  }

  /**
   * Counts one request of `key` for `model` in storage; false when a limit refused it (the key is
   * then skipped by the pick until its window ends). While storage fails, admits, and this
   * process's own counts still limit it.
   */
  async admit(key: PoolKey, model: string): Promise<boolean> {
    const { limiter, clock } = this.deps;
    const normalized = normalizeModel(model);
    const now = clock.now();
    const reservation = limiter.reservation(key, normalized, now);
    if (reservation === null) return true;
    let counted: boolean;
    try {
      counted = await this.#batch.reserve(reservation);
    } catch (err) {
      this.#logFailure(err, now);
      return true;
    }
    if (!counted) limiter.markFull(key, normalized, now);
    return counted;
  }

  #logFailure(err: unknown, now: number): void {
    this.#unlogged += 1;
    if (now - this.#loggedAt < FAILURE_LOG_MS) return;
    const message = err instanceof Error ? err.message : String(err);
    this.deps.logger({
      event: 'local_limit_reservation_failed',
      error: redactSecrets(message).slice(0, 300),
      failures: this.#unlogged,
    });
    this.#unlogged = 0;
    this.#loggedAt = now;
  }
}
