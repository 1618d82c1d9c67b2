/**
 * Limit reservations that arrive together are written to storage in one call (one transaction, or
 * one `db.batch` on D1): token limits and shared local key limits both count this way.
 */

/**
 * Runs `flush` once the reservations arriving now have been queued (Node: `setImmediate`). The
 * default runs it at once, one reservation per batch: on Workers a batch must not mix requests,
 * whose I/O belongs to each request.
 */
export type BatchWindow = (flush: () => void) => void;

interface Queued<R> {
  reservation: R;
  done: (counted: boolean) => void;
  fail: (err: unknown) => void;
}

/** Queues reservations and writes each window's worth with `write`, which answers, in order, whether each was counted. */
export class ReservationBatch<R> {
  #queue: Queued<R>[] = [];
  readonly #window: BatchWindow;

  constructor(
    private readonly write: (reservations: readonly R[]) => Promise<boolean[]>,
    window?: BatchWindow,
  ) {
    this.#window = window ?? ((flush) => flush());
  }

  /** Resolves true when storage counted the reservation, false when a limit refused it. */
  reserve(reservation: R): Promise<boolean> {
    return new Promise((done, fail) => {
      this.#queue.push({ reservation, done, fail });
      if (this.#queue.length === 1) this.#window(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    this.write(batch.map((q) => q.reservation)).then(
      (counted) => batch.forEach((q, i) => q.done(counted[i] === true)),
      (err: unknown) => batch.forEach((q) => q.fail(err)),
    );
  }
}
