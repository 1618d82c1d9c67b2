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
    const ids = (await rows<{ id: number }>('SELECT id FROM api_keys')).map((r) => r.id);
    calls.length = 0;
    const res = await call(worker, adminRequest('POST', '/admin/api/keys/bulk', { action: 'disable', ids }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ affected: COUNT });
    const writes = calls.filter((c) => c.sql.some((sql) => sql.startsWith('UPDATE api_keys')));
    expect(writes).toHaveLength(1);
    expect(calls.length).toBeLessThan(10);
    const [active] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys WHERE is_active = 1');
    expect(active!.n).toBe(0);
  });

  it('deletes 10,000 keys in one bulk action', async () => {
    const ids = (await rows<{ id: number }>('SELECT id FROM api_keys')).map((r) => r.id);
    calls.length = 0;
    const res = await call(worker, adminRequest('POST', '/admin/api/keys/bulk', { action: 'delete', ids }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ affected: COUNT });
    const [count] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    expect(count!.n).toBe(0);
    expect(Math.max(...calls.flatMap((c) => c.binds))).toBeLessThanOrEqual(100);
    expect(calls.filter((c) => c.sql.some((sql) => sql.startsWith('DELETE FROM api_keys')))).toHaveLength(1);
  });
});
