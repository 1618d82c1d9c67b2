/** The periodic job both runtimes run: the Node timer and the Worker's cron call it through `Gateway.runMaintenance`. */
import type { MaintenanceReport, PoolService } from '../pool-service.js';
import type { Clock, Logger } from '../ports.js';
import { revalidateDisabledKeys, type RevalidationReport } from './revalidate.js';
import type { KeyChecker } from './validate.js';

export interface OpsMaintenanceReport extends MaintenanceReport {
  /** The re-check of auto-disabled keys; null when it is off or not due. */
  revalidation: RevalidationReport | null;
}

/**
 * Storage maintenance (cooldowns, disables, error counts, rollups, retention, local-limit counts),
 * then the re-check of auto-disabled keys when due. A failing re-check is logged and does not
 * fail the rest.
 */
export async function runOpsMaintenance(deps: {
  service: PoolService;
  checker: KeyChecker;
  clock: Clock;
  logger: Logger;
}): Promise<OpsMaintenanceReport> {
  const report = await deps.service.runMaintenance();
  let revalidation: RevalidationReport | null = null;
  try {
    revalidation = await revalidateDisabledKeys(deps);
  } catch (err) {
    deps.logger({ event: 'revalidation_failed', error: err instanceof Error ? err.message : String(err) });
  }
  return { ...report, revalidation };
}

/** Who may run the cluster-wide jobs, and for how long a run keeps others off (the job's interval). */
export interface MaintenanceLease {
  /** Unique per process, e.g. host, pid and a random part. */
  holder: string;
  durationMs: number;
}

const MAINTENANCE_LEASE = 'maintenance';

/**
 * `runOpsMaintenance` on one process of the many sharing a database: only the holder of the
 * `maintenance` lease (`MetaStore.tryLease`) runs it; the others only drop their own expired
 * in-memory limit entries and return null. A holder renews its lease each run, so the jobs run
 * once per interval wherever they run, and another process takes over within one interval after
 * the holder stops.
 */
export async function runLeasedMaintenance(deps: {
  service: PoolService;
  checker: KeyChecker;
  clock: Clock;
  logger: Logger;
  lease: MaintenanceLease;
}): Promise<OpsMaintenanceReport | null> {
  const { service, clock, lease } = deps;
  const now = clock.now();
  if (!(await service.storage.meta.tryLease(MAINTENANCE_LEASE, lease.holder, now + lease.durationMs, now))) {
    service.pruneLocal();
    return null;
  }
  return runOpsMaintenance(deps);
}
