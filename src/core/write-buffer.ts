import type { KeyCounterDelta, KeyStateChange, Tokens, UsageRecord, WriteBatch } from './types.js';

/**
 * Collects the writes of many requests so they reach the database in one batch: usage rows are
 * appended, counters are summed per key, state changes keep their order.
 */
export class WriteBuffer {
  private usage: UsageRecord[] = [];
  private counters = new Map<number, KeyCounterDelta>();
  /** Counters held back (see `holdCounters`), with when each is released at the latest. */
  private held = new Map<number, { delta: KeyCounterDelta; releaseAt: number }>();
  private changes: KeyStateChange[] = [];

  get size(): number {
    return this.usage.length + this.counters.size + this.held.size + this.changes.length;
  }

  /** Usage rows buffered. */
  get usageCount(): number {
    return this.usage.length;
  }

  addUsage(record: UsageRecord): void {
    this.usage.push(record);
  }

  addCounters(keyId: number, at: number, isError: boolean, tokens: Tokens, lastError: string | null): void {
    addTo(this.counters, keyId, at, isError, tokens, lastError);
  }

  /**
   * Counters of a failed attempt whose usage row already records it, kept out of flushes until
   * `releaseAt`, or until the key has other counters to write: then they join that key's update,
   * instead of costing a row written of their own (D1 bills every row).
   */
  holdCounters(keyId: number, at: number, tokens: Tokens, lastError: string | null, releaseAt: number): void {
    const entry = this.held.get(keyId);
    const deltas = new Map(entry ? [[keyId, entry.delta]] : []);
    addTo(deltas, keyId, at, true, tokens, lastError);
    this.held.set(keyId, {
      delta: deltas.get(keyId) as KeyCounterDelta,
      releaseAt: Math.max(entry?.releaseAt ?? 0, releaseAt),
    });
  }

  /** The counter deltas buffered per key, held ones included, not yet written. */
  get pendingCounters(): ReadonlyMap<number, KeyCounterDelta> {
    if (this.held.size === 0) return this.counters;
    const all = new Map<number, KeyCounterDelta>();
    for (const delta of this.counters.values()) mergeInto(all, delta);
    for (const { delta } of this.held.values()) mergeInto(all, delta);
    return all;
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

  /**
   * Takes everything buffered, leaving the buffer empty, except held counters that are not yet due
   * at `now` and whose key has no other counters in the batch. Without `now`, takes everything.
   */
  drain(now = Infinity): WriteBatch {
    for (const [keyId, { delta, releaseAt }] of this.held) {
      if (releaseAt > now && !this.counters.has(keyId)) continue;
      mergeInto(this.counters, delta);
      this.held.delete(keyId);
    }
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
    const pending = { usage: this.usage, counters: [...this.counters.values()], changes: this.changes };
    this.usage = [...batch.usage, ...pending.usage];
    this.changes = [...batch.changes, ...pending.changes];
    this.counters = new Map();
    for (const delta of [...batch.counters, ...pending.counters]) mergeInto(this.counters, delta);
  }
}

function addTo(
  deltas: Map<number, KeyCounterDelta>,
  keyId: number,
  at: number,
  isError: boolean,
  tokens: Tokens,
  lastError: string | null,
): void {
  mergeInto(deltas, {
    keyId,
    requests: 1,
    errors: isError ? 1 : 0,
    tokens,
    lastUsedAt: at,
    ...(lastError !== null && { lastError: { text: lastError, at } }),
  });
}

/** Adds `delta` to the key's entry in `deltas` (a copy when the key has none yet). */
function mergeInto(deltas: Map<number, KeyCounterDelta>, delta: KeyCounterDelta): void {
  const existing = deltas.get(delta.keyId);
  if (!existing) {
    deltas.set(delta.keyId, { ...delta, tokens: { ...delta.tokens } });
    return;
  }
  existing.requests += delta.requests;
  existing.errors += delta.errors;
  existing.tokens.prompt += delta.tokens.prompt;
  existing.tokens.completion += delta.tokens.completion;
  existing.tokens.total += delta.tokens.total;
  existing.lastUsedAt = Math.max(existing.lastUsedAt, delta.lastUsedAt);
  // Later entries are newer: a held error merged into newer counters does not replace their error.
  if (delta.lastError && (!existing.lastError || delta.lastError.at >= existing.lastError.at)) {
    existing.lastError = delta.lastError;
  }
}
