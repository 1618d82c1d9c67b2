import type { PoolKey } from '../../types.js';
import type { SelectionStrategy } from './strategy.js';

/**
 * A cursor over the keys in id order, skipping unusable ones: within one process every usable key
 * gets an equal share (±1). After a reset the cursor resumes at the key following the last one
 * picked, so snapshot refreshes do not favour the first keys.
 */
export class RoundRobinStrategy implements SelectionStrategy {
  readonly name = 'round_robin' as const;
  #keys: readonly PoolKey[] = [];
  #cursor = 0;
  #lastId: number | null = null;

  reset(keys: readonly PoolKey[]): void {
    this.#keys = keys.slice();
    this.#cursor =
      this.#lastId === null ? 0 : lowerBound(this.#keys, this.#lastId + 1) % Math.max(1, keys.length);
  }

  pick(usable: (key: PoolKey) => boolean): PoolKey | undefined {
    const n = this.#keys.length;
    for (let i = 0; i < n; i++) {
      const at = (this.#cursor + i) % n;
      const key = this.#keys[at] as PoolKey;
      if (usable(key)) {
        this.#cursor = (at + 1) % n;
        this.#lastId = key.id;
        return key;
      }
    }
    return undefined;
  }

  used(): void {}
}

/** First index whose key id is ≥ `id` (keys are ordered by id). */
function lowerBound(keys: readonly PoolKey[], id: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as PoolKey).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
