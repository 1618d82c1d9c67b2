/**
 * The write side of the pool service: buffered usage rows, counter deltas and key state changes,
 * plus limit-count increments, written to storage in one batch per flush. Flushes (and the load
 * of a snapshot refresh) run one at a time, in the order they were asked for.
 */
import type { Clock, Logger, Storage } from '../ports.js';
import type { KeyStateChange, LimitCount } from '../types.js';
import { WriteBuffer } from '../write-buffer.js';

/** Limit-count increments counted in memory and handed to the flush (the access-token policy's token counts). */
export interface LimitCountSource {
  readonly pendingSize: number;
  drain(): LimitCount[];
  restore(rows: readonly LimitCount[]): void;
}

export class WritePipeline {
  readonly buffer = new WriteBuffer();
  /** Flushes, and the load of a refresh, run one at a time in this order (see `serialized`). */
  private writes: Promise<unknown> = Promise.resolve();
  private backlogFlush: Promise<void> | null = null;
  private stateFlush: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly deps: {
      storage: Storage;
      clock: Clock;
      logger: Logger;
      limitCounts: readonly LimitCountSource[];
      /**
       * When set, key state changes (cooldowns, disables, re-enables) are written this many ms after
       * they happen, on their own, so other gateways see them soon; counters wait for the periodic
       * flush. Unset where every request flushes anyway (Workers).
       */
      stateFlushDelayMs?: number;
    },
  ) {}

  /** Buffers key state changes, and writes them soon when prompt state flushes are on. */
  addChanges(changes: readonly KeyStateChange[]): void {
    this.buffer.addChanges(changes);
    const delay = this.deps.stateFlushDelayMs;
    if (delay === undefined || this.stateFlush !== null) return;
    this.stateFlush = setTimeout(() => {
      this.stateFlush = null;
      this.serialized(() => this.writeChanges()).catch(() => undefined);
    }, delay);
  }

  /** Writes only the buffered state changes; a failed write puts them back in front. */
  private async writeChanges(): Promise<void> {
    const changes = this.buffer.drainChanges();
    if (changes.length === 0) return;
    const batch = { usage: [], counters: [], changes };
    try {
      await this.deps.storage.keys.applyBatch(batch, this.deps.clock.now());
    } catch (err) {
      this.buffer.restore(batch);
      this.deps.logger({ event: 'flush_failed', error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** Cancels a pending prompt state flush (its changes stay buffered for the next flush). */
  close(): void {
    if (this.stateFlush !== null) clearTimeout(this.stateFlush);
    this.stateFlush = null;
  }

  /** Number of buffered writes not yet flushed. */
  get pendingWrites(): number {
    let n = this.buffer.size;
    for (const source of this.deps.limitCounts) n += source.pendingSize;
    return n;
  }

  /** Writes everything buffered in one batch. A failed batch is kept for the next flush. */
  flush(): Promise<void> {
    return this.serialized(() => this.writeBuffered());
  }

  /** Runs `work` after every flush or refresh load queued before it, and before any queued after. */
  serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Writes what is buffered now; call only from inside `serialized`. */
  async writeBuffered(): Promise<void> {
    if (this.pendingWrites === 0) return;
    const drained = this.deps.limitCounts.map((source) => source.drain());
    const batch = { ...this.buffer.drain(), limitCounts: drained.flat() };
    try {
      await this.deps.storage.keys.applyBatch(batch, this.deps.clock.now());
    } catch (err) {
      this.buffer.restore(batch);
      this.deps.limitCounts.forEach((source, i) => source.restore(drained[i]!));
      this.deps.logger({ event: 'flush_failed', error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /**
   * Starts a flush on a later turn of the event loop (after the responses being written now) when
   * at least `rows` writes are buffered; returns it, or undefined when none was needed or one is
   * already coming.
   */
  flushIfBacklogged(rows: number): Promise<void> | undefined {
    if (this.backlogFlush || this.pendingWrites < rows) return undefined;
    const run = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(() => this.flush())
      .finally(() => (this.backlogFlush = null));
    this.backlogFlush = run;
    return run;
  }
}
