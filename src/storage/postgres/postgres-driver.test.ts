import { describe, expect, it } from 'vitest';
import { toPositional } from './postgres-driver.js';

describe('toPositional', () => {
  it('numbers the placeholders, leaving question marks inside literals and quoted names alone', () => {
    expect(toPositional('SELECT * FROM t WHERE a = ? AND b IN (?, ?)')).toBe(
      'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)',
    );
    expect(toPositional(`SELECT '?', 'it''s ?', "odd?name" FROM t WHERE x = ?::bigint`)).toBe(
      `SELECT '?', 'it''s ?', "odd?name" FROM t WHERE x = $1::bigint`,
    );
    expect(toPositional("name LIKE ? ESCAPE '\\' AND y = ?")).toBe("name LIKE $1 ESCAPE '\\' AND y = $2");
  });
});
