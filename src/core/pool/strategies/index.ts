import type { StrategyName } from '../../config.js';
import type { Random } from '../../ports.js';
import { LeastUsedStrategy } from './least-used.js';
import { RandomStrategy } from './random.js';
import { RoundRobinStrategy } from './round-robin.js';
import type { SelectionStrategy } from './strategy.js';

export type { SelectionStrategy } from './strategy.js';

/** The strategy registry: one module per strategy behind `SelectionStrategy`. */
export function createStrategy(name: StrategyName, random: Random): SelectionStrategy {
  switch (name) {
    case 'round_robin':
      return new RoundRobinStrategy();
    case 'least_used':
      return new LeastUsedStrategy();
    case 'random':
      return new RandomStrategy(random);
  }
}
