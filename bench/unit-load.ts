/**
 * A closed-loop load generator for workloads wrk and autocannon cannot express: a unit of work may
 * be several HTTP calls (an upload's start and its chunk) or use another method than POST. It runs
 * in the bench process over an undici Pool (the gateway's CPU is read from its own process).
 */
import { Pool } from 'undici';
import type { LoadResult } from './load.js';

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query below the origin. */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Sends one call on a pool of the origin's connections. */
export type Send = (call: HttpCall) => Promise<HttpAnswer>;

/** One unit of work: its calls, in order; throws when an answer is not the one expected. */
export type Unit = (send: Send) => Promise<void>;

/** A pool of `connections` keep-alive connections to `origin`, and `send` over it. */
export function connect(origin: string, connections: number): { send: Send; close(): Promise<void> } {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  return {
    async send(call) {
      const res = await pool.request({
        method: call.method,
        path: call.path,
        headers: call.headers,
        body: call.body,
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
    close: () => pool.close(),
  };
}

/** An answer with another status than `status`: counted as a bad status, not a transport error. */
export class BadStatus extends Error {}

/** Throws `BadStatus` unless `answer` has `status`. */
export function expectStatus(answer: HttpAnswer, status: number, what: string): HttpAnswer {
  if (answer.status !== status) {
    throw new BadStatus(`${what}: ${answer.status} ${answer.text.slice(0, 300)}`);
  }
  return answer;
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

/** `connections` loops each running `unit` back to back for `durationS`; latency is per unit. */
export async function runUnits(
  origin: string,
  unit: Unit,
  connections: number,
  durationS: number,
): Promise<LoadResult & { firstError: string | null }> {
  const { send, close } = connect(origin, connections);
  const latencies: number[] = [];
  let errors = 0;
  let badStatus = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const end = started + durationS * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await unit(send);
        latencies.push(performance.now() - t0);
      } catch (err) {
        if (err instanceof BadStatus) badStatus++;
        else errors++;
        firstError ??= String(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    await close();
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    durationS: elapsed,
    rps: elapsed > 0 ? latencies.length / elapsed : 0,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    errors,
    badStatus,
    firstError,
  };
}
