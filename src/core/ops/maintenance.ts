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
