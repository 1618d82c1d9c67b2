/**
 * The pool as the HTTP layer sees it: an in-memory snapshot of the keys (selection never touches
 * the database), the parsed config, and a write buffer that reaches storage in batches. Each job
 * lives in its own module under `service/`; this class wires them and keeps one surface.
 */
import { parseConfig, resolveConfigValues, type PoolConfig } from './config.js';
import { KeyLimitGate } from './ops/key-limit-gate.js';
import { GatewayMetrics } from './ops/metrics.js';
import { KeyPool } from './pool/pool.js';
import type { Clock, Logger, Random, Storage } from './ports.js';
import { reportAttempt, type AttemptReport, type AttemptReporterDeps } from './service/attempt-reporter.js';
import { seedAndLoadConfig } from './service/config-source.js';
import { SnapshotRefresher } from './service/snapshot-refresher.js';
import { maintainStorage, type MaintenanceReport } from './service/storage-maintenance.js';
import { WritePipeline, type WriteHealth } from './service/write-pipeline.js';
import type { KeyStateChange, Tokens } from './types.js';
import { TokenPolicy, type BatchWindow } from './tokens/token-policy.js';

export type { AttemptReport } from './service/attempt-reporter.js';
export type { MaintenanceReport } from './service/storage-maintenance.js';

/** The service's own view of its health (see `PoolService.health`). */
export interface ServiceHealth {
  writes: Readonly<WriteHealth>;
  pendingWrites: number;
  /** `none` when the storage has no change feed (SQLite, D1): polling only. */
  changeFeed: 'none' | 'connected' | 'down';
}

export const NO_TOKENS: Tokens = Object.freeze({ prompt: 0, completion: 0, total: 0 });

export class PoolService {
  readonly pool: KeyPool;
  /** Counters for `GET /metrics`, fed by `report`. */
  readonly metrics = new GatewayMetrics();
  /** Access-token rules and limits, checked before the pick. */
  readonly tokens: TokenPolicy;
  /** Shared local key limits, reserved in storage before each attempt (see `KeyLimitGate`). */
  readonly keyLimits: KeyLimitGate;
  private current: PoolConfig = parseConfig({});
  private readonly writes: WritePipeline;
  private readonly refresher: SnapshotRefresher;
  private readonly reporter: AttemptReporterDeps;
  private stopFollowing: (() => void) | undefined;
  private loaded = false;

  constructor(
    private readonly deps: {
      storage: Storage;
      clock: Clock;
      random: Random;
      logger: Logger;
      /** When token- and key-limit reservations arriving together are written (see `ReservationBatch`). */
      tokenBatchWindow?: BatchWindow;
      /** Writes key state changes this soon on their own (see `WritePipeline`); unset: with the next flush. */
      stateFlushDelayMs?: number;
      /** Usage rows kept while flushes fail (default 100,000); counters and state changes are always kept. */
      maxBufferedUsage?: number;
    },
  ) {
    const { storage, clock, logger } = deps;
    this.pool = new KeyPool({ clock, random: deps.random });
    this.tokens = new TokenPolicy({ limits: storage.limits, clock, batchWindow: deps.tokenBatchWindow });
    this.keyLimits = new KeyLimitGate({
      limits: storage.limits,
      limiter: this.pool.limiter,
      clock,
      logger,
      batchWindow: deps.tokenBatchWindow,
    });
    this.writes = new WritePipeline({
      storage,
      clock,
      logger,
      limitCounts: [this.tokens],
      stateFlushDelayMs: deps.stateFlushDelayMs,
      maxBufferedUsage: deps.maxBufferedUsage,
    });
    this.refresher = new SnapshotRefresher({
      storage,
      clock,
      logger,
      pool: this.pool,
      writes: this.writes,
      applyConfig: (values) => this.applyConfig(values),
    });
    this.reporter = {
      pool: this.pool,
      metrics: this.metrics,
      tokens: this.tokens,
      writes: this.writes,
      clock,
      logger,
      config: () => this.current,
    };
  }

  /** True once the first snapshot of keys and config was loaded (`init`). */
  get hasSnapshot(): boolean {
    return this.loaded;
  }

  get config(): PoolConfig {
    return this.current;
  }

  get storage(): Storage {
    return this.deps.storage;
  }

  /**
   * Seeds missing config rows, then loads config and every key, and follows the storage's change
   * feed when it has one (until `close`).
   */
  async init(): Promise<void> {
    const { storage, clock } = this.deps;
    const { values, version } = await seedAndLoadConfig(storage);
    this.refresher.configVersion = version;
    this.applyConfig(values);
    const startedAt = clock.now();
    this.pool.replaceAll(await storage.keys.loadKeys());
    this.pool.limiter.load(await storage.limits.loadLimitCounts(startedAt), startedAt);
    this.refresher.lastRefreshAt = startedAt;
    this.loaded = true;
    if (storage.changes) this.stopFollowing = this.refresher.follow(storage.changes);
  }

  /** Stops following the change feed and cancels timers. Buffered writes stay: flush before. */
  close(): void {
    this.writes.close();
    this.stopFollowing?.();
    this.stopFollowing = undefined;
  }

  /** True when the snapshot is older than `snapshot_refresh_seconds`. */
  isStale(): boolean {
    return this.deps.clock.now() - this.refresher.lastRefreshAt >= this.current.snapshotRefreshMs;
  }

  /** Reloads config and the keys changed since the last refresh (coalesced; see `SnapshotRefresher`). */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  /** Applies stored config values (already validated on write; invalid rows fall back to defaults). */
  applyConfig(stored: Record<string, string>): void {
    this.current = parseConfig(resolveConfigValues(stored));
    this.pool.setStrategy(this.current.rotationStrategy);
    this.pool.setLocalLimits({ perMinute: this.current.localRpmLimit, perDay: this.current.localRpdLimit });
  }

  /** Applies an attempt's outcome to the in-memory pool at once and buffers its writes. */
  report(report: AttemptReport): void {
    reportAttempt(this.reporter, report);
  }

  /**
   * Applies state changes decided outside the request path (a key check) to the in-memory pool at
   * once, and buffers them for the next flush.
   */
  applyChanges(changes: readonly KeyStateChange[]): void {
    if (changes.length === 0) return;
    for (const change of changes) this.pool.apply(change);
    this.writes.addChanges(changes);
  }

  /** Number of buffered writes not yet flushed. */
  get pendingWrites(): number {
    return this.writes.pendingWrites;
  }

  /** Writes everything buffered in one batch. Flushes run one at a time; a failed batch is kept for the next. */
  flush(): Promise<void> {
    return this.writes.flush();
  }

  /** The timed flush: `flush`, unless flushes are failing and backing off (see `WritePipeline`). */
  flushWhenDue(): Promise<void> {
    return this.writes.flushWhenDue();
  }

  /** What `/healthz` reports beyond the database probe: failing flushes and the change feed. */
  health(): ServiceHealth {
    const feed = this.deps.storage.changes;
    return {
      writes: this.writes.writeHealth,
      pendingWrites: this.pendingWrites,
      changeFeed: feed === undefined ? 'none' : feed.connected ? 'connected' : 'down',
    };
  }

  /** Starts a flush on a later turn once at least `rows` writes are buffered (see `WritePipeline`). */
  flushIfBacklogged(rows: number): Promise<void> | undefined {
    return this.writes.flushIfBacklogged(rows);
  }

  /** Forgets in-memory local-limit entries whose windows ended (the part of maintenance every process does). */
  pruneLocal(): void {
    this.pool.limiter.prune(this.deps.clock.now());
  }

  /**
   * Periodic maintenance (see `maintainStorage`), then a refresh so the snapshot shows its effects.
   */
  async runMaintenance(): Promise<MaintenanceReport> {
    const now = this.deps.clock.now();
    await this.refresh();
    const report = await maintainStorage(this.deps.storage, this.current, now);
    this.pruneLocal();
    await this.refresh();
    return report;
  }
}
