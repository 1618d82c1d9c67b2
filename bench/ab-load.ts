/**
 * The load of `npm run bench:ab`: a fixed number of requests from this process over undici, with
 * `connections` clients each sending its next request on the last reply, and the CPU time the
 * target process spent meanwhile. A fixed count (not a duration) keeps every round the same work.
 */
import { Pool } from 'undici';
import { cpuNsOf } from './processes.js';

/** One bench row: a request the client API serves, and a text its good answer contains. */
export interface AbRow {
  name: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  expect: string;
}

export interface AbSample {
  requests: number;
  /** CPU ns of the target per request. */
  cpuNsPerRequest: number;
  rps: number;
  /** Answers that were not 200, and transport errors. */
  failures: number;
}

/** One request of `row` against `origin`; resolves to an error message, or null when the answer is good. */
export async function checkRow(origin: string, row: AbRow): Promise<string | null> {
  const res = await fetch(origin + row.path, { method: 'POST', headers: row.headers, body: row.body });
  const text = await res.text();
  if (res.status === 200 && text.includes(row.expect)) return null;
  return `${res.status} ${text.slice(0, 200)}`;
}

export class AbClient {
  readonly #pool: Pool;

  constructor(
    readonly origin: string,
    readonly pid: number,
    private readonly connections: number,
  ) {
    this.#pool = new Pool(origin, { connections, pipelining: 1 });
  }

  /** Sends `requests` requests of `row` and measures the target's CPU over them. */
  async run(row: AbRow, requests: number): Promise<AbSample> {
    let issued = 0;
    let failures = 0;
    const client = async (): Promise<void> => {
      while (issued < requests) {
        issued++;
        try {
          const res = await this.#pool.request({
            path: row.path,
            method: 'POST',
            headers: row.headers,
            body: row.body,
          });
          if (res.statusCode !== 200) failures++;
          for await (const _ of res.body);
        } catch {
          failures++;
        }
      }
    };
    const cpuBefore = cpuNsOf(this.pid);
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(this.connections, requests) }, client));
    const seconds = (performance.now() - started) / 1000;
    const cpuNs = cpuNsOf(this.pid) - cpuBefore;
    return { requests, cpuNsPerRequest: cpuNs / requests, rps: requests / seconds, failures };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
