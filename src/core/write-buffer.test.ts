import { describe, expect, it } from 'vitest';
import { WriteBuffer } from './write-buffer.js';

const tokens = (total: number) => ({ prompt: total, completion: 0, total });

describe('WriteBuffer held counters', () => {
  it('keeps held counters out of a batch until they are due, but counts them as pending', () => {
    const buffer = new WriteBuffer();
    buffer.holdCounters(1, 100, tokens(0), 'rate-limited: per_minute m', 1_000);
    buffer.holdCounters(1, 200, tokens(0), 'rate-limited: per_minute n', 500);
    expect(buffer.drain(999).counters).toEqual([]);
    expect(buffer.size).toBe(1);
    expect(buffer.pendingCounters.get(1)).toMatchObject({ requests: 2, errors: 2, lastUsedAt: 200 });
    // Due at the later of the two release times.
    expect(buffer.drain(1_000).counters).toEqual([
      {
        keyId: 1,
        requests: 2,
        errors: 2,
        tokens: tokens(0),
        lastUsedAt: 200,
        lastError: { text: 'rate-limited: per_minute n', at: 200 },
      },
    ]);
    expect(buffer.size).toBe(0);
  });

  it('joins held counters to the key’s other counters in the next batch, before they are due', () => {
    const buffer = new WriteBuffer();
    buffer.holdCounters(1, 100, tokens(0), 'rate-limited: per_minute m', 10_000);
    buffer.holdCounters(2, 100, tokens(0), 'rate-limited: per_minute m', 10_000);
    buffer.addCounters(1, 300, false, tokens(7), null);
    const batch = buffer.drain(400);
    expect(batch.counters).toEqual([
      {
        keyId: 1,
        requests: 2,
        errors: 1,
        tokens: tokens(7),
        lastUsedAt: 300,
        lastError: { text: 'rate-limited: per_minute m', at: 100 },
      },
    ]);
    expect([...buffer.pendingCounters.keys()]).toEqual([2]);
    // Without a time, everything goes (a final flush).
    expect(buffer.drain().counters.map((c) => c.keyId)).toEqual([2]);
  });

  it('a failed batch put back keeps its released counters, added to what came meanwhile', () => {
    const buffer = new WriteBuffer();
    buffer.holdCounters(1, 100, tokens(0), 'e', 0);
    const batch = buffer.drain(1);
    buffer.addCounters(1, 200, false, tokens(3), null);
    buffer.restore(batch);
    expect(buffer.drain(1).counters).toEqual([
      {
        keyId: 1,
        requests: 2,
        errors: 1,
        tokens: tokens(3),
        lastUsedAt: 200,
        lastError: { text: 'e', at: 100 },
      },
    ]);
  });
});
