import type { Random } from '../../ports.js';
import type { PoolKey } from '../../types.js';
import type { SelectionStrategy } from './strategy.js';

/** Random probes before falling back to a scan; enough when most keys are usable. */
const PROBES = 8;

/**
 * Uniform choice via the injected `Random`: a few random probes, then a scan from a random
 * offset, so a mostly-unusable pool still finds its usable keys.
 */
export class RandomStrategy implements SelectionStrategy {
  readonly name = 'random' as const;
  readonly #random: Random;
  #keys: readonly PoolKey[] = [];

  constructor(random: Random) {
    this.#random = random;
  }

  reset(keys: readonly PoolKey[]): void {
    this.#keys = keys.slice();
  }

  pick(usable: (key: PoolKey) => boolean): PoolKey | undefined {
    const n = this.#keys.length;
    if (n === 0) return undefined;
    for (let i = 0; i < PROBES; i++) {
      const key = this.#keys[this.#index(n)] as PoolKey;
      if (usable(key)) return key;
    }
    const start = this.#index(n);
    for (let i = 0; i < n; i++) {
      const key = this.#keys[(start + i) % n] as PoolKey;
      if (usable(key)) return key;
    }
    return undefined;
  }

  used(): void {}

  #index(n: number): number {
    return Math.min(n - 1, Math.floor(this.#random.next() * n));
  }
}
