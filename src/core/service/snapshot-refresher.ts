/**
 * Keeps the in-memory snapshot in step with storage: reloads config when its version changed and
 * the keys changed since the last refresh. Runs are coalesced; each load happens with no flush in
 * between (see `refresh`), so stored + buffered counters stay exact.
 */
import { redactSecrets } from '../keys/redact.js';
import type { KeyPool } from '../pool/pool.js';
import type { ChangeFeed, Clock, Logger, Storage } from '../ports.js';
import { CONFIG_VERSION_META } from './config-source.js';
import type { WritePipeline } from './write-pipeline.js';

/** Keys whose `updated_at` lies this close before the last refresh are read again, to tolerate clock skew between writers. */
const REFRESH_OVERLAP_MS = 10_000;
/** A failing snapshot refresh is logged at most once per this long; the line counts the failures since the last one. */
const REFRESH_FAILURE_LOG_MS = 60_000;

export interface SnapshotRefresherDeps {
  storage: Storage;
  clock: Clock;
  logger: Logger;
  pool: KeyPool;
  writes: WritePipeline;
  /** Applies config values read from storage. */
  applyConfig(values: Record<string, string>): void;
}

export class SnapshotRefresher {
  /** When the last successful refresh (or the initial load) started. */
  lastRefreshAt = 0;
  /** `pool_meta.config_version` when the config was last read; a trigger bumps it on every config write. */
  configVersion: string | null = null;
  private refreshing: Promise<void> | null = null;
  private queuedRefresh: Promise<void> | null = null;
  private refreshFailures = { unlogged: 0, loggedAt: -Infinity };

  constructor(private readonly deps: SnapshotRefresherDeps) {}

  /**
   * Refreshes soon after another writer changes keys or config, as told by `feed`. Notices that
   * arrive while a refresh runs share one more run after it. Polling (`isStale`) stays the caller's:
   * it is the only path while the feed is down. Returns a function that stops following.
   */
  follow(feed: ChangeFeed): () => void {
    return feed.subscribe((change) => {
      if (change === 'keys' || change === 'config') this.refresh().catch(() => undefined);
    });
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
    const { storage, clock, pool, writes } = this.deps;
    // Writes what is buffered, then loads, with no flush in between: unflushed state changes would
    // otherwise be overwritten by older rows, and the loaded counters then hold every batch written
    // and none still buffered, so stored + buffered (+ in flight) is exact.
    const { startedAt, configVersion, changes } = await writes.serialized(async () => {
      await writes.writeBuffered().catch(() => undefined);
      const startedAt = clock.now();
      const [configVersion, changes] = await Promise.all([
        storage.meta.getMeta(CONFIG_VERSION_META),
        storage.keys.loadChangesSince(this.lastRefreshAt - REFRESH_OVERLAP_MS),
      ]);
      return { startedAt, configVersion, changes };
    });
    if (configVersion === null || configVersion !== this.configVersion) {
      this.deps.applyConfig(await storage.config.getConfigValues());
      this.configVersion = configVersion;
    }
    if (changes.deletedIds.length > 0) pool.remove(changes.deletedIds);
    if (changes.keys.length > 0) pool.upsert(changes.keys, writes.buffer.pendingCounters);
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
}
