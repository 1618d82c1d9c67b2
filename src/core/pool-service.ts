/**
 * The pool as the HTTP layer sees it: an in-memory snapshot of the keys (selection never touches
 * the database), the parsed config, and a write buffer that reaches storage in batches.
 */
import { parseConfig, resolveConfigValues, defaultConfigRows, type PoolConfig } from './config.js';
import { transition } from './health/transitions.js';
import { cooldownsToStore, heldCountersRelease, UsageRateLimits } from './health/usage-cooldowns.js';
import type { Outcome } from './health/classify.js';
import { redactSecrets } from './keys/redact.js';
import { GatewayMetrics } from './ops/metrics.js';
import { KeyPool } from './pool/pool.js';
import type { Clock, Logger, MaintenanceResult, Random, Storage } from './ports.js';
import type { KeyStateChange, OutcomeKind, PoolKey, Tokens } from './types.js';
import { TokenPolicy, type BatchWindow } from './tokens/token-policy.js';
import { WriteBuffer } from './write-buffer.js';

/** Keys whose `updated_at` lies this close before the last refresh are read again, to tolerate clock skew between writers. */
const REFRESH_OVERLAP_MS = 10_000;
const CONFIG_VERSION_META = 'config_version';
/** A flush that fails keeps its rows for the next one, but never more than this many usage rows. */
const MAX_PENDING_USAGE = 100_000;
/** Raw usage is folded into hourly rollups this long after an hour ends, so late flushes land first. */
const ROLLUP_GRACE_MS = 5 * 60_000;
/** Hours folded per maintenance run, so one run stays short (D1 limits a query's time). */
const ROLLUP_MAX_HOURS = 24;
/** A failing snapshot refresh is logged at most once per this long; the line counts the failures since the last one. */
const REFRESH_FAILURE_LOG_MS = 60_000;

export const NO_TOKENS: Tokens = Object.freeze({ prompt: 0, completion: 0, total: 0 });

/** What the HTTP layer reports after each upstream attempt. */
export interface AttemptReport {
  key: PoolKey;
  outcome: Outcome | { kind: 'client-abort' };
  endpoint: string;
  model: string | null;
  /** HTTP status of the attempt; 0 when no response arrived, 499 when the client went away. */
  status: number;
  tokens: Tokens;
  latencyMs: number;
  accessTokenId: number | null;
  attempt: number;
  /** Short, already redacted description of what went wrong. */
  error: string | null;
}

export interface MaintenanceReport extends MaintenanceResult {
  usagePruned: number;
  /** Hours of raw usage folded into the hourly rollups. */
  usageHoursRolledUp: number;
  /** Local-limit counts of ended windows deleted. */
  limitCountsPruned: number;
  /** Ownership records of expired resources (files, caches, upload sessions…) deleted. */
  resourcesExpired: number;
}

/**
 * Outcomes that count as an error of the key in `error_count`. A client's own mistake (a 4xx passed
 * through) is not the key's; its usage row still records the status.
 */
const ERROR_KINDS: ReadonlySet<OutcomeKind> = new Set([
  'key-fatal',
  'rate-limited',
  'key-error',
  'upstream-fault',
]);

export class PoolService {
  readonly pool: KeyPool;
  /** Counters for `GET /metrics`, fed by `report`. */
  readonly metrics = new GatewayMetrics();
  /** Access-token rules and limits, checked before the pick. */
  readonly tokens: TokenPolicy;
  private current: PoolConfig = parseConfig({});
  private readonly buffer = new WriteBuffer();
  private lastRefreshAt = 0;
  /** `pool_meta.config_version` when the config was last read; a trigger bumps it on every config write. */
  private configVersion: string | null = null;
  private refreshing: Promise<void> | null = null;
  private queuedRefresh: Promise<void> | null = null;
  /** Flushes, and the load of a refresh, run one at a time in this order (see `serialized`). */
  private writes: Promise<unknown> = Promise.resolve();
  private backlogFlush: Promise<void> | null = null;
  private refreshFailures = { unlogged: 0, loggedAt: -Infinity };
  private readonly usageRateLimits: UsageRateLimits | null;

  constructor(
    private readonly deps: {
      storage: Storage;
      clock: Clock;
      random: Random;
      logger: Logger;
      /** When token-limit reservations arriving together are written (see `TokenPolicy`). */
      tokenBatchWindow?: BatchWindow;
      /**
       * Fewer rows written per 429 (D1 bills each): with usage tracking on, other processes learn a
       * rate limit from its usage row, short cooldowns are not stored, and the key's counters wait
       * to join its next write (see `core/health/usage-cooldowns.ts`).
       */
      rateLimitsInUsage?: boolean;
    },
  ) {
    this.pool = new KeyPool({ clock: deps.clock, random: deps.random });
    this.usageRateLimits = deps.rateLimitsInUsage ? new UsageRateLimits(deps.storage.usage) : null;
    this.tokens = new TokenPolicy({
      limits: deps.storage.limits,
      clock: deps.clock,
      batchWindow: deps.tokenBatchWindow,
    });
  }

  get config(): PoolConfig {
    return this.current;
  }

  get storage(): Storage {
    return this.deps.storage;
  }

  /** Seeds missing config rows, then loads config and every key. */
  async init(): Promise<void> {
    this.configVersion = await this.deps.storage.meta.getMeta(CONFIG_VERSION_META);
    const stored = await this.deps.storage.config.getConfigValues();
    const missing = defaultConfigRows().filter((row) => !(row.key in stored));
    if (missing.length > 0) await this.deps.storage.config.setConfigValues(missing);
    this.applyConfig(stored);
    const startedAt = this.deps.clock.now();
    this.pool.replaceAll(await this.deps.storage.keys.loadKeys());
    this.pool.limiter.load(await this.deps.storage.limits.loadLimitCounts(startedAt), startedAt);
    await this.usageRateLimits?.catchUp({ pool: this.pool, config: this.current, now: startedAt });
    this.lastRefreshAt = startedAt;
  }

  /** True when the snapshot is older than `snapshot_refresh_seconds`. */
  isStale(): boolean {
    return this.deps.clock.now() - this.lastRefreshAt >= this.current.snapshotRefreshMs;
  }

  /**
   * Reloads config and the keys changed since the last refresh. The promise settles after a run
   * that started after the call: a run already in flight may have read before the caller's own
   * write (a key just added), so callers arriving meanwhile share one more run after it.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.queuedRefresh ??= this.refreshing
        .catch(() => undefined)
        .then(() => {
          this.queuedRefresh = null;
          return this.refresh();
        });
      return this.queuedRefresh;
    }
    this.refreshing = this.doRefresh()
      .catch((err: unknown) => {
        this.logRefreshFailure(err);
        throw err;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    // Writes what is buffered, then loads, with no flush in between: unflushed state changes would
    // otherwise be overwritten by older rows, and the loaded counters then hold every batch written
    // and none still buffered, so stored + buffered (+ in flight) is exact.
    const { startedAt, configVersion, changes } = await this.serialized(async () => {
      await this.writeBuffered().catch(() => undefined);
      const startedAt = this.deps.clock.now();
      const [configVersion, changes] = await Promise.all([
        this.deps.storage.meta.getMeta(CONFIG_VERSION_META),
        this.deps.storage.keys.loadChangesSince(this.lastRefreshAt - REFRESH_OVERLAP_MS),
      ]);
      return { startedAt, configVersion, changes };
    });
    if (configVersion === null || configVersion !== this.configVersion) {
      this.applyConfig(await this.deps.storage.config.getConfigValues());
      this.configVersion = configVersion;
    }
    if (changes.deletedIds.length > 0) this.pool.remove(changes.deletedIds);
    if (changes.keys.length > 0) this.pool.upsert(changes.keys, this.buffer.pendingCounters);
    await this.usageRateLimits?.catchUp({ pool: this.pool, config: this.current, now: startedAt });
    this.lastRefreshAt = startedAt;
  }

  /** Logs a failed refresh, at most once per `REFRESH_FAILURE_LOG_MS`, with its message scrubbed of secrets. */
  private logRefreshFailure(err: unknown): void {
    const now = this.deps.clock.now();
    const failures = this.refreshFailures;
    failures.unlogged += 1;
    if (now - failures.loggedAt < REFRESH_FAILURE_LOG_MS) return;
    const message = err instanceof Error ? err.message : String(err);
    this.deps.logger({
      event: 'snapshot_refresh_failed',
      error: redactSecrets(message).slice(0, 500),
      failures: failures.unlogged,
    });
    failures.unlogged = 0;
    failures.loggedAt = now;
  }

  /** Applies stored config values (already validated on write; invalid rows fall back to defaults). */
  applyConfig(stored: Record<string, string>): void {
    this.current = parseConfig(resolveConfigValues(stored));
    this.pool.setStrategy(this.current.rotationStrategy);
    this.pool.setLocalLimits({ perMinute: this.current.localRpmLimit, perDay: this.current.localRpdLimit });
  }

  /** Applies an attempt's outcome to the in-memory pool at once and buffers its writes. */
  report(report: AttemptReport): void {
    const now = this.deps.clock.now();
    const { key, outcome } = report;
    const recordsUsage = this.current.enableUsageTracking && this.buffer.size < MAX_PENDING_USAGE;
    const limitInUsage = this.usageRateLimits && recordsUsage && outcome.kind === 'rate-limited';
    this.pool.settled(key.id);
    this.metrics.recordAttempt({ ...report, outcome: outcome.kind });
    if (outcome.kind !== 'client-abort') {
      const projectKeys =
        outcome.kind === 'rate-limited' && key.project ? this.pool.keysInProject(key.project) : undefined;
      const changes = transition(key, outcome, { config: this.current, now, projectKeys });
      for (const change of changes) this.pool.apply(change);
      this.buffer.addChanges(limitInUsage ? cooldownsToStore(changes, now) : changes);
      if (changes.some((c) => c.disabled)) {
        this.deps.logger({ event: 'key_disabled', key_id: key.id, reason: key.disabled?.reason ?? null });
      }
    }
    const isError = ERROR_KINDS.has(outcome.kind);
    if (isError) {
      key.errorCount += 1;
      key.lastError = report.error;
    }
    key.tokens.prompt += report.tokens.prompt;
    key.tokens.completion += report.tokens.completion;
    key.tokens.total += report.tokens.total;
    if (limitInUsage) {
      this.buffer.holdCounters(key.id, now, report.tokens, report.error, heldCountersRelease(key, now));
    } else {
      this.buffer.addCounters(key.id, now, isError, report.tokens, isError ? report.error : null);
    }
    this.tokens.recordTokens(report.accessTokenId, report.tokens.total, now);
    if (recordsUsage) {
      this.buffer.addUsage({
        keyId: key.id,
        endpoint: report.endpoint,
        model: report.model,
        status: report.status,
        outcome: outcome.kind,
        tokens: report.tokens,
        latencyMs: Math.round(report.latencyMs),
        accessTokenId: report.accessTokenId,
        attempt: report.attempt,
        timestamp: now,
        error: report.error,
      });
    }
  }

  /**
   * Applies state changes decided outside the request path (a key check) to the in-memory pool at
   * once, and buffers them for the next flush.
   */
  applyChanges(changes: readonly KeyStateChange[]): void {
    if (changes.length === 0) return;
    for (const change of changes) this.pool.apply(change);
    this.buffer.addChanges(changes);
  }

  /** Number of buffered writes not yet flushed. */
  get pendingWrites(): number {
    return this.buffer.size + this.pool.limiter.pendingSize + this.tokens.pendingSize;
  }

  /** Writes everything buffered in one batch. Flushes run one at a time; a failed batch is kept for the next. */
  flush(): Promise<void> {
    return this.serialized(() => this.writeBuffered());
  }

  /** Runs `work` after every flush or refresh load queued before it, and before any queued after. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async writeBuffered(): Promise<void> {
    if (this.pendingWrites === 0) return;
    const keyCounts = this.pool.limiter.drain();
    const tokenCounts = this.tokens.drain();
    const buffered = this.buffer.drain(this.deps.clock.now());
    const batch = { ...buffered, limitCounts: [...keyCounts, ...tokenCounts] };
    try {
      await this.deps.storage.keys.applyBatch(batch, this.deps.clock.now());
    } catch (err) {
      this.buffer.restore(batch);
      this.pool.limiter.restore(keyCounts);
      this.tokens.restore(tokenCounts);
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

  /**
   * Periodic maintenance, then a refresh so the snapshot shows its effects: expired cooldowns and
   * temporary disables, error-count resets, hourly usage rollups (before retention deletes raw
   * rows), usage retention, local-limit counts of ended windows, and ownership records of expired
   * resources.
   */
  async runMaintenance(): Promise<MaintenanceReport> {
    const now = this.deps.clock.now();
    const { storage } = this.deps;
    await this.refresh();
    const result = await storage.keys.runMaintenance(now, this.current.errorResetIntervalMs);
    const rollup = await storage.usage.rollupUsage(now - ROLLUP_GRACE_MS, ROLLUP_MAX_HOURS);
    const usagePruned = await storage.usage.pruneUsage(now - this.current.usageRetentionMs);
    const limitCountsPruned = await storage.limits.pruneLimitCounts(now);
    const resourcesExpired = await storage.resources.pruneExpired(now);
    this.pool.limiter.prune(now);
    await this.refresh();
    return {
      ...result,
      usagePruned,
      usageHoursRolledUp: rollup.hours,
      limitCountsPruned,
      resourcesExpired,
    };
  }
}
