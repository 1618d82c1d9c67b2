/**
 * A Worker whose D1 calls and upstream requests are recorded in one timeline, with a clock that
 * only moves when a test moves it (no snapshot refresh falls due unless a test wants one).
 */
import { createWorker } from '../../src/runtime/worker/worker.js';
import { expect } from 'vitest';
import { type D1Call, countingD1 } from './counting-d1.js';

export type Event = { d1: D1Call } | { upstream: string };

export function recordedWorker() {
  const events: Event[] = [];
  /** Every D1 call, never cleared. */
  const allCalls: D1Call[] = [];
  const clock = { t: Date.now(), now: () => clock.t };
  const worker = createWorker({
    database: (bindings) =>
      countingD1(bindings.LOG, (d1) => {
        events.push({ d1 });
        allCalls.push(d1);
      }),
    fetch: (input, init) => {
      events.push({ upstream: new Request(input, init).url });
      return fetch(input, init);
    },
    clock,
    logger: () => {},
  });
  return { worker, events, allCalls, clock };
}

/** The D1 calls recorded before the first upstream request, and after it. */
export function split(recorded: Event[]): { before: D1Call[]; after: D1Call[]; upstream: number } {
  const first = recorded.findIndex((e) => 'upstream' in e);
  const d1 = (list: Event[]) => list.flatMap((e) => ('d1' in e ? [e.d1] : []));
  return {
    before: d1(first < 0 ? recorded : recorded.slice(0, first)),
    after: d1(first < 0 ? [] : recorded.slice(first)),
    upstream: recorded.filter((e) => 'upstream' in e).length,
  };
}

/**
 * Sends `send()` up to `tries` times (round robin reaches the failing key within a few) and returns
 * the split of the first request that took two upstream attempts; fails the test when none did.
 */
export async function firstRetried(
  events: Event[],
  send: () => Promise<Response>,
  tries: number,
): Promise<ReturnType<typeof split>> {
  for (let i = 0; i < tries; i++) {
    events.length = 0;
    expect((await send()).status).toBe(200);
    const seen = split(events);
    if (seen.upstream === 2) return seen;
  }
  expect.fail('no request was retried');
}
