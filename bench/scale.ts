/**
 * Key scale: the in-process cost of choosing a key (KeyPool.pick + markUsed) for each strategy and
 * pool size, healthy and with half the keys cooling for the requested model.
 */
import { STRATEGY_NAMES, type StrategyName } from '../src/core/config.js';
import { makeKey } from '../src/core/pool/make-key.js';
import { KeyPool } from '../src/core/pool/pool.js';

export interface PickCost {
  strategy: StrategyName;
  keys: number;
  /** Share of keys with a running cooldown for the model picked. */
  cooling: number;
  nsPerPick: number;
}

const MODEL = 'gemini-2.5-flash';

function poolOf(size: number, strategy: StrategyName, cooling: number): KeyPool {
  const pool = new KeyPool({ clock: { now: () => Date.now() }, random: { next: Math.random }, strategy });
  const until = Date.now() + 3_600_000;
  const step = cooling > 0 ? Math.round(1 / cooling) : 0;
  pool.replaceAll(
    Array.from({ length: size }, (_, i) =>
      makeKey(
        i + 1,
        step > 0 && i % step === 0 ? { cooldowns: [{ model: MODEL, until, reason: 'per_minute' }] } : {},
      ),
    ),
  );
  return pool;
}

/** ns per pick + markUsed over batches of picks, until `budgetMs` has passed. */
function timePicks(pool: KeyPool, budgetMs: number): number {
  const budgetNs = BigInt(Math.round(budgetMs * 1e6));
  const started = process.hrtime.bigint();
  let picks = 0;
  let elapsed: bigint;
  do {
    for (let i = 0; i < 256; i++) {
      const picked = pool.pick(MODEL);
      if (!picked.ok) throw new Error('bench pool ran out of usable keys');
      pool.markUsed(picked.key);
    }
    picks += 256;
    elapsed = process.hrtime.bigint() - started;
  } while (elapsed < budgetNs);
  return Number(elapsed) / picks;
}

/**
 * ns per pick + markUsed: best of three timed runs of `budgetMs` each, after a warm-up of the same
 * length. The timing is bounded by time rather than by count, since a slow case can cost milliseconds.
 */
export function measurePickCost(sizes: number[], budgetMs: number): PickCost[] {
  const out: PickCost[] = [];
  for (const cooling of [0, 0.5]) {
    for (const strategy of STRATEGY_NAMES) {
      for (const keys of sizes) {
        const pool = poolOf(keys, strategy, cooling);
        timePicks(pool, budgetMs);
        const runs = [timePicks(pool, budgetMs), timePicks(pool, budgetMs), timePicks(pool, budgetMs)];
        out.push({ strategy, keys, cooling, nsPerPick: Math.min(...runs) });
      }
    }
  }
  return out;
}
