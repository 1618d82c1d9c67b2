import type { StrategyName } from '../../config.js';
import type { PoolKey } from '../../types.js';

/**
 * How the pool chooses among usable keys. A strategy owns an index over the keys and walks it; the
 * pool supplies the `usable` predicate, so a healthy pool is served without scanning it.
 */
export interface SelectionStrategy {
  readonly name: StrategyName;
  /** Rebuild internal structures from all keys (called after snapshot changes), ordered by id. */
  reset(keys: readonly PoolKey[]): void;
  /** Next key for which usable(key) is true, or undefined. Must not scan the whole pool when most keys are usable. */
  pick(usable: (key: PoolKey) => boolean): PoolKey | undefined;
  /** A picked key was used (its totalRequests was just incremented). */
  used(key: PoolKey): void;
}
