/**
 * The write side of the pool service: buffered usage rows, counter deltas and key state changes,
 * plus limit-count increments, written to storage in one batch per flush. Flushes (and the load
 * of a snapshot refresh) run one at a time, in the order they were asked for.
 *
 * While storage fails, everything stays buffered: counters and state changes always (they are
 * small: one delta per key), usage rows up to `maxBufferedUsage`, beyond which new ones are
 * dropped and counted. Timed flushes back off (`flushWhenDue`); an explicit `flush` always tries.
 */
import { redactSecrets } from '../keys/redact.js';
import type { Clock, Logger, Storage } from '../ports.js';
import type { KeyStateChange, LimitCount, UsageRecord } from '../types.js';
import { WriteBuffer } from '../write-buffer.js';

/** Usage rows kept while flushes fail, unless configured otherwise. */
export const DEFAULT_MAX_BUFFERED_USAGE = 100_000;
/** The first retry after a failed flush, doubled after each further failure up to `MAX_BACKOFF_MS`. */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5_000;
/** Dropped usage rows are logged at most once per this long. */
const DROP_LOG_MS = 60_000;

/** Limit-count increments counted in memory and handed to the flush (the access-token policy's token counts). */
export interface LimitCountSource {
  readonly pendingSize: number;
  drain(): LimitCount[];
  restore(rows: readonly LimitCount[]): void;
}

/** How the writes are doing, for `/healthz`. */
export interface WriteHealth {
  /** Since when flushes have failed; null while they succeed. */
  failingSince: number | null;
  /** Flushes failed in a row. */
  failures: number;
  /** The last failure's message, redacted; null while flushes succeed. */
  lastError: string | null;
  /** Usage rows dropped because the buffer was full, since start. */
  usageDropped: number;
}

export class WritePipeline {
  readonly buffer = new WriteBuffer();
  /** Flushes, and the load of a refresh, run one at a time in this order (see `serialized`). */
  private writes: Promise<unknown> = Promise.resolve();
  private backlogFlush: Promise<void> | null = null;
  private stateFlush: ReturnType<typeof setTimeout> | null = null;
  private readonly health: WriteHealth = {
    failingSince: null,
    failures: 0,
    lastError: null,
    usageDropped: 0,
  };
  /** No timed flush starts before this (backoff after failures). */
  private nextAttemptAt = 0;
  private dropsLoggedAt = -Infinity;
  private dropsUnlogged = 0;

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
      /** Usage rows kept while flushes fail (default `DEFAULT_MAX_BUFFERED_USAGE`). */
      maxBufferedUsage?: number;
    },
  ) {}

  /** Number of buffered writes not yet flushed. */
  get pendingWrites(): number {
    let n = this.buffer.size;
    for (const source of this.deps.limitCounts) n += source.pendingSize;
    return n;
  }

  get writeHealth(): Readonly<WriteHealth> {
    return this.health;
  }

  /** Buffers a usage row, unless `maxBufferedUsage` rows wait already: then it is dropped, counted and logged. */
  addUsage(record: UsageRecord): void {
    if (this.buffer.usageCount < (this.deps.maxBufferedUsage ?? DEFAULT_MAX_BUFFERED_USAGE)) {
      this.buffer.addUsage(record);
      return;
    }
    this.health.usageDropped += 1;
    this.dropsUnlogged += 1;
    const now = this.deps.clock.now();
    if (now - this.dropsLoggedAt < DROP_LOG_MS) return;
    this.deps.logger({
      event: 'usage_rows_dropped',
      dropped: this.dropsUnlogged,
      buffered: this.buffer.usageCount,
    });
    this.dropsUnlogged = 0;
    this.dropsLoggedAt = now;
  }

  /** Buffers key state changes, and writes them soon when prompt state flushes are on. */
  addChanges(changes: readonly KeyStateChange[]): void {
    this.buffer.addChanges(changes);
    const delay = this.deps.stateFlushDelayMs;
    if (delay === undefined || this.stateFlush !== null) return;
    this.stateFlush = setTimeout(() => {
      this.stateFlush = null;
      // While storage fails, the changes wait for the next due flush with everything else.
      if (this.backingOff()) return;
      this.serialized(() => this.writeChanges()).catch(() => undefined);
    }, delay);
  }

  /** Writes everything buffered in one batch. A failed batch is kept for the next flush. */
  flush(): Promise<void> {
    return this.serialized(() => this.writeBuffered());
  }

  /** `flush`, unless flushes are failing and the backoff since the last failure has not passed. */
  flushWhenDue(): Promise<void> {
    return this.backingOff() ? Promise.resolve() : this.flush();
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
      this.failed(err);
      throw err;
    }
    this.succeeded();
  }

  /**
   * Starts a flush on a later turn of the event loop (after the responses being written now) when
   * at least `rows` writes are buffered; returns it, or undefined when none was needed, one is
   * already coming, or flushes are backing off after failures.
   */
  flushIfBacklogged(rows: number): Promise<void> | undefined {
    if (this.backlogFlush || this.pendingWrites < rows || this.backingOff()) return undefined;
    const run = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(() => this.flush())
      .finally(() => (this.backlogFlush = null));
    this.backlogFlush = run;
    return run;
  }

  /** Cancels a pending prompt state flush (its changes stay buffered for the next flush). */
  close(): void {
    if (this.stateFlush !== null) clearTimeout(this.stateFlush);
    this.stateFlush = null;
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
      this.failed(err);
      throw err;
    }
    this.succeeded();
  }

  private backingOff(): boolean {
    return this.health.failures > 0 && this.deps.clock.now() < this.nextAttemptAt;
  }

  private failed(err: unknown): void {
    const now = this.deps.clock.now();
    const health = this.health;
    health.failures += 1;
    health.failingSince ??= now;
    const message = err instanceof Error ? err.message : String(err);
    health.lastError = redactSecrets(message).slice(0, 300);
    this.nextAttemptAt = now + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (health.failures - 1));
    this.deps.logger({
      event: 'flush_failed',
      error: health.lastError,
      failures: health.failures,
      pending_writes: this.pendingWrites,
    });
  }

  private succeeded(): void {
    if (this.health.failures === 0) return;
    this.deps.logger({
      event: 'flush_recovered',
      failures: this.health.failures,
      failing_ms: this.deps.clock.now() - (this.health.failingSince ?? 0),
    });
    this.health.failures = 0;
    this.health.failingSince = null;
    this.health.lastError = null;
  }
}
