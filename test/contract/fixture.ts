/** What an adapter hands the storage contract, and small builders the suites share. No Node imports: this runs in workerd too. */
import { afterEach, beforeEach } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import type { KeyCounterDelta, UsageRecord, WriteBatch } from '../../src/core/types.js';

export interface StorageFixture {
  storage: Storage;
  close(): Promise<void>;
  /** Whether keys are encrypted at rest. */
  encrypted?: boolean;
  /** Raw SQL against the same database, for SQL adapters: lets the suite check columns no port exposes. */
  sql?(query: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

export type MakeStorage = () => Promise<StorageFixture>;

/** Base time of every test: real wall-clock, since the delete trigger stamps tombstones with it. */
export const T0 = Date.now() - 3_600_000;

/** A distinct, well-formed test key (39 characters, like Gemini's). */
export function testKey(i: number): string {
  return `AIzaSy${i.toString(36).padStart(8, '0')}${'Q'.repeat(25)}`;
}

export function emptyBatch(): WriteBatch {
  return { usage: [], counters: [], changes: [] };
}

export function usage(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    keyId: null,
    endpoint: 'chat.completions',
    model: 'gemini-2.5-flash',
    status: 200,
    outcome: 'ok',
    tokens: { prompt: 10, completion: 5, total: 15 },
    latencyMs: 100,
    accessTokenId: null,
    attempt: 1,
    timestamp: T0,
    error: null,
    ...over,
  };
}

export function counter(keyId: number, over: Partial<KeyCounterDelta> = {}): KeyCounterDelta {
  return {
    keyId,
    requests: 1,
    errors: 0,
    tokens: { prompt: 10, completion: 5, total: 15 },
    lastUsedAt: T0,
    ...over,
  };
}

/** Adds `n` keys and returns their ids in insertion order. */
export async function seedKeys(storage: Storage, n: number, now = T0, from = 0): Promise<number[]> {
  const keys = Array.from({ length: n }, (_, i) => ({ apiKey: testKey(from + i) }));
  const result = await storage.keys.addKeys(keys, now);
  if (result.added !== n) throw new Error(`expected ${n} keys added, got ${result.added}`);
  const all = await storage.keys.loadKeys();
  const wanted = new Set(keys.map((k) => k.apiKey));
  return all.filter((k) => wanted.has(k.apiKey)).map((k) => k.id);
}

/** Opens a fresh storage before each test of the enclosing `describe` and closes it after. */
export function useFixture(make: MakeStorage): () => StorageFixture {
  let current: StorageFixture | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('fixture used outside a test');
    return current;
  };
}
