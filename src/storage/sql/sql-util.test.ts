import { describe, expect, it } from 'vitest';
import type { SqlDriver } from './driver.js';
import { POSTGRES_DIALECT, SQLITE_DIALECT } from './sql-dialect.js';
import { chunk, idsIn, multiRowStatements, placeholders, setClause } from './sql-util.js';

const driver = { maxParams: 100 } as SqlDriver;

describe('sql-util', () => {
  it('chunks and builds placeholders', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2], 0.5)).toEqual([[1], [2]]);
    expect(chunk([], 3)).toEqual([]);
    expect(placeholders(3)).toBe('?, ?, ?');
  });

  it('fits multi-row statements to the bind limit', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i, `k${i}`, null, i * 2, 0, 1, 2]);
    const statements = multiRowStatements(driver, rows, 7, (v) => `INSERT INTO t VALUES ${v}`);
    expect(statements.map((s) => s.params.length)).toEqual([98, 98, 14]);
    expect(statements[2]!.sql).toBe('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)');
    expect(statements.flatMap((s) => s.params)).toEqual(rows.flat());
  });

  it('passes any number of ids as one deduplicated JSON parameter', () => {
    const ids = [...Array.from({ length: 150 }, (_, i) => i), 1, 2];
    const where = idsIn(SQLITE_DIALECT, 'id', ids);
    expect(where.sql).toBe('id IN (SELECT value FROM json_each(?))');
    expect(JSON.parse(where.param)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(idsIn(SQLITE_DIALECT, 'id', []).param).toBe('[]');
    expect(idsIn(POSTGRES_DIALECT, 'id', ids)).toEqual({
      sql: 'id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb))',
      param: where.param,
    });
  });

  it('builds SET clauses', () => {
    expect(setClause({ a: 1, b: null })).toEqual({ sql: 'a = ?, b = ?', params: [1, null] });
  });
});
