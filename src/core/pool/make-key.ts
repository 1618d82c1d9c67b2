import type { PoolKey } from '../types.js';

/** The state of a key just added at `at`: enabled, no cooldowns, zeroed counters, never used. */
export function freshKeyState(at: number): Omit<PoolKey, 'id' | 'apiKey' | 'email' | 'project'> {
  return {
    group: null,
    disabled: null,
    cooldowns: [],
    consecutiveErrors: 0,
    totalRequests: 0,
    errorCount: 0,
    tokens: { prompt: 0, completion: 0, total: 0 },
    lastUsedAt: null,
    lastError: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** A healthy key with zeroed counters, for tests and fixtures; `over` replaces any field. */
export function makeKey(id: number, over: Partial<PoolKey> = {}): PoolKey {
  return {
    id,
    apiKey: `AIzaSyTest${String(id).padStart(29, '0')}`,
    email: null,
    project: null,
    ...freshKeyState(0),
    ...over,
  };
}
