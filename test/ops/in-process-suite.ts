/** Suite wiring shared by the in-process maintenance tests: one mock upstream, a fresh gateway per test. */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startInProcess, type InProcess } from './in-process.js';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
/** An hour boundary (2026-06-15 12:00 UTC). */
export const T0 = Date.UTC(2026, 5, 15, 12);

export interface InProcessSuite {
  /** The mock upstream, started before the suite's first test. */
  mock(): MockGemini;
  /** A gateway at T0 on a fresh database; closed, and the mock reset, after the test. */
  start(wrapStorage?: (s: Storage) => Storage, maxBufferedUsageRows?: number): Promise<InProcess>;
}

/** Registers the suite's hooks; call once at the top level of a test file. */
export function useInProcessSuite(): InProcessSuite {
  let mock: MockGemini;
  let env: InProcess | undefined;

  beforeAll(async () => {
    mock = await startMockGemini();
  });
  afterAll(async () => {
    await mock?.close();
  });
  afterEach(async () => {
    await env?.close();
    env = undefined;
    mock.reset();
  });

  return {
    mock: () => mock,
    async start(wrapStorage, maxBufferedUsageRows) {
      env = await startInProcess({ upstreamUrl: mock.url, t0: T0, wrapStorage, maxBufferedUsageRows });
      return env;
    },
  };
}

export const row = (e: InProcess, sql: string, ...params: unknown[]) =>
  e.db.prepare(sql).get(...params) as any;
export const rows = (e: InProcess, sql: string, ...params: unknown[]) =>
  e.db.prepare(sql).all(...params) as any[];
