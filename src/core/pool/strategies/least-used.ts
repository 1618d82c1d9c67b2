import type { PoolKey } from '../../types.js';
import type { SelectionStrategy } from './strategy.js';

interface Entry {
  key: PoolKey;
  /** Requests counted on top of `totalRequests`: raised when the key is skipped while unusable. */
  credit: number;
}

const load = (e: Entry): number => e.key.totalRequests + e.credit;
const before = (a: Entry, b: Entry): boolean => {
  const la = load(a);
  const lb = load(b);
  return la < lb || (la === lb && a.key.id < b.key.id);
};

/**
 * The usable key with the fewest `totalRequests`, ties by lowest id, from a binary min-heap keyed by
 * (requests, id): O(log n) when the top is usable. Unusable keys at the top are popped aside and
 * pushed back after the pick with a credit that counts them as used alongside the key picked
 * instead. So a key that sits out a cooldown or a disable comes back level with the others rather
 * than to a burst of catch-up traffic (which would trip the quota again), and it is inspected about
 * once per round of the pool rather than on every pick: selection cost stays flat while part of the
 * pool is cooling. Credits live in memory only.
 */
export class LeastUsedStrategy implements SelectionStrategy {
  readonly name = 'least_used' as const;
  #heap: Entry[] = [];
  /** Key id → its slot in the heap, for re-sifting in `used`. */
  #slot = new Map<number, number>();

  reset(keys: readonly PoolKey[]): void {
    const credits = new Map(this.#heap.map((e) => [e.key.id, e.credit]));
    this.#heap = keys.map((key) => ({ key, credit: credits.get(key.id) ?? 0 }));
    this.#slot = new Map(this.#heap.map((e, i) => [e.key.id, i]));
    for (let i = (this.#heap.length >>> 1) - 1; i >= 0; i--) this.#down(i);
  }

  pick(usable: (key: PoolKey) => boolean): PoolKey | undefined {
    const aside: Entry[] = [];
    let found: Entry | undefined;
    for (let top = this.#heap[0]; top !== undefined; top = this.#heap[0]) {
      if (usable(top.key)) {
        found = top;
        break;
      }
      aside.push(this.#pop());
    }
    // Counted as if used alongside the key picked: ranked after it, not ahead of it again next pick.
    const level = found ? load(found) + 1 : 0;
    for (const e of aside) {
      e.credit = Math.max(e.credit, level - e.key.totalRequests);
      this.#push(e);
    }
    return found?.key;
  }

  used(key: PoolKey): void {
    const i = this.#slot.get(key.id);
    if (i === undefined) return;
    this.#down(i);
    this.#up(i);
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    this.#slot.delete(top.key.id);
    if (heap.length > 0) {
      heap[0] = last;
      this.#slot.set(last.key.id, 0);
      this.#down(0);
    }
    return top;
  }

  #push(e: Entry): void {
    this.#slot.set(e.key.id, this.#heap.push(e) - 1);
    this.#up(this.#heap.length - 1);
  }

  #swap(i: number, j: number): void {
    const a = this.#heap[i] as Entry;
    const b = this.#heap[j] as Entry;
    this.#heap[i] = b;
    this.#heap[j] = a;
    this.#slot.set(b.key.id, i);
    this.#slot.set(a.key.id, j);
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l] as Entry, heap[m] as Entry)) m = l;
      if (r < heap.length && before(heap[r] as Entry, heap[m] as Entry)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!before(this.#heap[i] as Entry, this.#heap[parent] as Entry)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }
}
