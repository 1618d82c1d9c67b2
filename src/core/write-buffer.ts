import type { KeyCounterDelta, KeyStateChange, Tokens, UsageRecord, WriteBatch } from './types.js';

/**
 * Collects the writes of many requests so they reach the database in one batch: usage rows are
 * appended, counters are summed per key, state changes keep their order.
 */
export class WriteBuffer {
  private usage: UsageRecord[] = [];
  private counters = new Map<number, KeyCounterDelta>();
  private changes: KeyStateChange[] = [];

  get size(): number {
    return this.usage.length + this.counters.size + this.changes.length;
  }

  /** Usage rows buffered. */
  get usageCount(): number {
    return this.usage.length;
  }

  addUsage(record: UsageRecord): void {
    this.usage.push(record);
  }

  addCounters(keyId: number, at: number, isError: boolean, tokens: Tokens, lastError: string | null): void {
    let delta = this.counters.get(keyId);
    if (!delta) {
      delta = {
        keyId,
        requests: 0,
        errors: 0,
        tokens: { prompt: 0, completion: 0, total: 0 },
        lastUsedAt: at,
      };
      this.counters.set(keyId, delta);
    }
    delta.requests += 1;
    if (isError) delta.errors += 1;
    delta.tokens.prompt += tokens.prompt;
    delta.tokens.completion += tokens.completion;
    delta.tokens.total += tokens.total;
    delta.lastUsedAt = Math.max(delta.lastUsedAt, at);
    if (lastError !== null) delta.lastError = { text: lastError, at };
  }

  /** The counter deltas buffered per key, not yet written. */
  get pendingCounters(): ReadonlyMap<number, KeyCounterDelta> {
    return this.counters;
  }

  addChanges(changes: readonly KeyStateChange[]): void {
    for (const change of changes) this.changes.push(change);
  }

  /** Takes the buffered state changes only, in order. */
  drainChanges(): KeyStateChange[] {
    const changes = this.changes;
    this.changes = [];
    return changes;
  }

  /** Takes everything buffered, leaving the buffer empty. */
  drain(): WriteBatch {
    const batch: WriteBatch = {
      usage: this.usage,
      counters: [...this.counters.values()],
      changes: this.changes,
    };
    this.usage = [];
    this.counters = new Map();
    this.changes = [];
    return batch;
  }

  /** Puts a batch that failed to write back in front, so a later flush retries it. */
  restore(batch: WriteBatch): void {
    const pending = this.drain();
    this.usage = [...batch.usage, ...pending.usage];
    this.changes = [...batch.changes, ...pending.changes];
    for (const delta of [...batch.counters, ...pending.counters]) {
      const at = delta.lastUsedAt;
      const existing = this.counters.get(delta.keyId);
      if (!existing) {
        this.counters.set(delta.keyId, { ...delta, tokens: { ...delta.tokens } });
        continue;
      }
      existing.requests += delta.requests;
      existing.errors += delta.errors;
      existing.tokens.prompt += delta.tokens.prompt;
      existing.tokens.completion += delta.tokens.completion;
      existing.tokens.total += delta.tokens.total;
      existing.lastUsedAt = Math.max(existing.lastUsedAt, at);
      if (delta.lastError) existing.lastError = delta.lastError;
    }
  }
}
