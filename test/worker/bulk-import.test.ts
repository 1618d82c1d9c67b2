/**
 * D1 binds at most 100 parameters per statement and runs a limited number of queries per invocation:
 * 10,000 keys must still import, and bulk actions on them are single statements.
 */
import { describe, expect, it } from 'vitest';
import { createWorker } from '../../src/runtime/worker/worker.js';
import { type D1Call, countingD1 } from './counting-d1.js';
import { adminRequest, call, geminiKey, rows } from './harness.js';

const calls: D1Call[] = [];
const worker = createWorker({
  database: (bindings) => countingD1(bindings.LOG, (c) => calls.push(c)),
  logger: () => {},
});

const COUNT = 10_000;

/** Runs a bulk action on every stored key; returns the D1 calls it made, after checking it touched them all. */
async function bulkOnEveryKey(action: string): Promise<D1Call[]> {
  const ids = (await rows<{ id: number }>('SELECT id FROM api_keys')).map((r) => r.id);
  calls.length = 0;
  const res = await call(worker, adminRequest('POST', '/admin/api/keys/bulk', { action, ids }));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ affected: COUNT });
  return [...calls];
}

const statementsStartingWith = (made: D1Call[], prefix: string) =>
  made.filter((c) => c.sql.some((sql) => sql.startsWith(prefix)));

describe('bulk key import on D1', () => {
  it('imports 10,000 keys through the admin API, in statements under the bind limit', async () => {
    const text = Array.from({ length: COUNT }, (_, i) => geminiKey('bulk', i)).join('\n');
    const res = await call(worker, adminRequest('POST', '/admin/api/keys', { text }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ added: COUNT, duplicates: 0, invalid: 0 });

    const [count] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    expect(count!.n).toBe(COUNT);
    expect(Math.max(...calls.flatMap((c) => c.binds))).toBeLessThanOrEqual(100);

    const listed = await call(worker, adminRequest('GET', '/admin/api/keys?page_size=1'));
    expect(((await listed.json()) as { total: number }).total).toBe(COUNT);
  });

  it('counts a second import of the same keys as duplicates', async () => {
    const text = Array.from({ length: COUNT }, (_, i) => geminiKey('bulk', i)).join('\n');
    const res = await call(worker, adminRequest('POST', '/admin/api/keys', { text }));
    expect(await res.json()).toMatchObject({ added: 0, duplicates: COUNT });
  });

  it('disables 10,000 keys in one bulk action, as one statement: atomic, and within D1 query limits', async () => {
    const made = await bulkOnEveryKey('disable');
    expect(statementsStartingWith(made, 'UPDATE api_keys')).toHaveLength(1);
    expect(made.length).toBeLessThan(10);
    const [active] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys WHERE is_active = 1');
    expect(active!.n).toBe(0);
  });

  it('deletes 10,000 keys in one bulk action', async () => {
    const made = await bulkOnEveryKey('delete');
    const [count] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    expect(count!.n).toBe(0);
    expect(Math.max(...made.flatMap((c) => c.binds))).toBeLessThanOrEqual(100);
    expect(statementsStartingWith(made, 'DELETE FROM api_keys')).toHaveLength(1);
  });
});
