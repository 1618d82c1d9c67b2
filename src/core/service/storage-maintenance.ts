/** The storage side of periodic maintenance: health resets, rollups, retention and pruning. */
import type { PoolConfig } from '../config.js';
import type { MaintenanceResult, Storage } from '../ports.js';

/** Raw usage is folded into hourly rollups this long after an hour ends, so late flushes land first. */
const ROLLUP_GRACE_MS = 5 * 60_000;
/** Hours folded per maintenance run, so one run stays short (D1 limits a query's time). */
const ROLLUP_MAX_HOURS = 24;

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
 * Expired cooldowns and temporary disables, error-count resets, hourly usage rollups (before
 * retention deletes raw rows), usage retention, local-limit counts of ended windows, and ownership
 * records of expired resources.
 */
export async function maintainStorage(
  storage: Storage,
  config: PoolConfig,
  now: number,
): Promise<MaintenanceReport> {
  const result = await storage.keys.runMaintenance(now, config.errorResetIntervalMs);
  const rollup = await storage.usage.rollupUsage(now - ROLLUP_GRACE_MS, ROLLUP_MAX_HOURS);
  const usagePruned = await storage.usage.pruneUsage(now - config.usageRetentionMs);
  const limitCountsPruned = await storage.limits.pruneLimitCounts(now);
  const resourcesExpired = await storage.resources.pruneExpired(now);
  return {
    ...result,
    usagePruned,
    usageHoursRolledUp: rollup.hours,
    limitCountsPruned,
    resourcesExpired,
  };
}
