/**
 * The scheduled re-check of keys the pool disabled for good (invalid, expired, suspended: an auto
 * disable without an end), so keys Google takes back return to the pool. A pass starts every
 * `revalidate_interval_minutes` and checks at most `REVALIDATE_BATCH` keys per maintenance run,
 * resuming after the last id it checked (kept in `pool_meta`), so a Worker's cron stays within its
 * subrequest limit and every such key gets its turn.
 */
import type { PoolService } from '../pool-service.js';
import type { Clock } from '../ports.js';
import type { KeyChecker } from './validate.js';

/** Keys checked per maintenance run (the Workers free plan allows 50 subrequests per invocation). */
export const REVALIDATE_BATCH = 40;

const CURSOR_META = 'revalidate_cursor';
const LAST_PASS_META = 'revalidate_last_pass_at';

export interface RevalidationReport {
  checked: number;
  reenabled: number;
  /** True when this run finished a pass over every auto-disabled key. */
  passComplete: boolean;
}

const metaNumber = (value: string | null): number => {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
};

/** Runs the next slice of the re-check when one is due; null when it is off or not due. */
export async function revalidateDisabledKeys(deps: {
  service: PoolService;
  checker: KeyChecker;
  clock: Clock;
}): Promise<RevalidationReport | null> {
  const { service, checker, clock } = deps;
  const interval = service.config.revalidateIntervalMs;
  if (interval === 0) return null;
  const meta = service.storage.meta;
  const now = clock.now();
  const cursor = metaNumber(await meta.getMeta(CURSOR_META));
  if (cursor === 0 && now - metaNumber(await meta.getMeta(LAST_PASS_META)) < interval) return null;

  // Temporary disables (too many errors) end by themselves; only the lasting ones need a check.
  const due = service.pool
    .list()
    .filter((k) => k.id > cursor && k.disabled?.by === 'auto' && k.disabled.until === null);
  const slice = due.slice(0, REVALIDATE_BATCH);
  const checks = slice.length > 0 ? await checker.check(slice.map((k) => k.id)) : [];
  const passComplete = due.length <= REVALIDATE_BATCH;
  if (passComplete) {
    await meta.setMeta(CURSOR_META, '0');
    await meta.setMeta(LAST_PASS_META, String(now));
  } else {
    await meta.setMeta(CURSOR_META, String(slice[slice.length - 1]?.id ?? 0));
  }
  return {
    checked: checks.filter((c) => c.result !== 'skipped').length,
    reenabled: checks.filter((c) => c.action === 'enabled').length,
    passComplete,
  };
}
