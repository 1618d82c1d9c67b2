/**
 * Propagation delay between gateways on one database: a key is disabled (then re-enabled, and so on)
 * through gateway A's admin API, and gateway B's `/healthz` is polled until its in-memory snapshot
 * shows the change (`usable_keys`). The delay runs from just before A is asked to the first answer
 * of B that shows it, so it includes A's write and commit.
 */
import { quantile } from './streams.js';

export interface Propagation {
  /** What selected the shared database, e.g. 'postgres'. */
  database: string;
  changes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Changes B had not shown after `timeoutMs` (counted at the timeout). */
  timeouts: number;
}

export interface PropagationPair {
  /** Where changes are made. */
  a: string;
  /** Where they are observed. */
  b: string;
  adminToken: string;
  /** A key both gateways hold; the only one, so B's usable count flips between 1 and 0. */
  keyId: number;
}

async function usableKeys(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`);
  const body = (await res.json()) as { usable_keys?: number };
  if (typeof body.usable_keys !== 'number')
    throw new Error(`healthz answered ${res.status} without usable_keys`);
  return body.usable_keys;
}

async function setActive(pair: PropagationPair, active: boolean): Promise<void> {
  const res = await fetch(`${pair.a}/admin/api/keys/${pair.keyId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${pair.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ is_active: active }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`key PATCH answered ${res.status}: ${text.slice(0, 300)}`);
}

/** Makes `changes` changes through A and times each until B shows it (or `timeoutMs` passes). */
export async function measurePropagation(
  database: string,
  pair: PropagationPair,
  changes: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<Propagation> {
  if ((await usableKeys(pair.b)) !== 1)
    throw new Error('propagation: gateway B must start with one usable key');
  const delays: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < changes; i++) {
    const active = i % 2 === 1;
    const started = performance.now();
    await setActive(pair, active);
    let elapsed: number;
    for (;;) {
      const seen = (await usableKeys(pair.b)) === (active ? 1 : 0);
      elapsed = performance.now() - started;
      if (seen) break;
      if (elapsed > timeoutMs) {
        timeouts++;
        break;
      }
    }
    delays.push(elapsed);
    if ((i + 1) % 200 === 0) log(`propagation: ${i + 1}/${changes} changes`);
  }
  const sorted = delays.sort((x, y) => x - y);
  return {
    database,
    changes,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? 0,
    timeouts,
  };
}
