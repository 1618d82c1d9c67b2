/** A `ChangeFeed` driven by hand, standing in for PostgreSQL's LISTEN/NOTIFY in core tests. */
import type { ChangeFeed, StorageChange } from '../../src/core/ports.js';

export class FakeChangeFeed implements ChangeFeed {
  connected = true;
  readonly listeners = new Set<(change: StorageChange) => void>();

  subscribe(listener: (change: StorageChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener, as a notification from another writer would. */
  emit(change: StorageChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
