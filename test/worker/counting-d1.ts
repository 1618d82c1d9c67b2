/**
 * A D1 binding that records every query it runs, so tests can see when the Worker touches D1
 * relative to its upstream requests.
 */

export interface D1Call {
  kind: 'first' | 'all' | 'run' | 'raw' | 'batch' | 'exec';
  /** One statement, or every statement of a batch. */
  sql: string[];
  /** Bound parameters per statement. */
  binds: number[];
  /** D1's billing counters, once the query has answered (`first()` does not report them). */
  rowsRead?: number;
  rowsWritten?: number;
}

type Meta = { rows_read?: number; rows_written?: number };

/** Adds the D1 result metadata of `results` to `call`. */
function account(call: D1Call, results: unknown): void {
  const list = (Array.isArray(results) ? results : [results]) as Array<{ meta?: Meta } | null>;
  for (const r of list) {
    if (!r?.meta) continue;
    call.rowsRead = (call.rowsRead ?? 0) + (r.meta.rows_read ?? 0);
    call.rowsWritten = (call.rowsWritten ?? 0) + (r.meta.rows_written ?? 0);
  }
}

interface Recorded {
  real: D1PreparedStatement;
  sql: string;
  binds: number;
}

/** Wraps `db`; `record` sees each query just before it is sent. */
export function countingD1(db: D1Database, record: (call: D1Call) => void): D1Database {
  const recorded = new WeakMap<object, Recorded>();

  const wrap = (info: Recorded): D1PreparedStatement => {
    const once =
      <K extends 'first' | 'all' | 'run' | 'raw'>(kind: K) =>
      async (...args: unknown[]) => {
        const call: D1Call = { kind, sql: [info.sql], binds: [info.binds] };
        record(call);
        const result: unknown = await (info.real[kind] as (...a: unknown[]) => Promise<unknown>).apply(
          info.real,
          args,
        );
        account(call, result);
        return result;
      };
    const stmt = {
      bind: (...values: unknown[]) =>
        wrap({ real: info.real.bind(...values), sql: info.sql, binds: values.length }),
      first: once('first'),
      all: once('all'),
      run: once('run'),
      raw: once('raw'),
    } as unknown as D1PreparedStatement;
    recorded.set(stmt, info);
    return stmt;
  };

  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => wrap({ real: target.prepare(sql), sql, binds: 0 });
      }
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          const infos = statements.map((s) => {
            const info = recorded.get(s);
            if (!info) throw new Error('countingD1: batch got a statement it did not prepare');
            return info;
          });
          const call: D1Call = {
            kind: 'batch',
            sql: infos.map((i) => i.sql),
            binds: infos.map((i) => i.binds),
          };
          record(call);
          return target.batch(infos.map((i) => i.real)).then((results) => {
            account(call, results);
            return results;
          });
        };
      }
      if (prop === 'exec') {
        return (sql: string) => {
          record({ kind: 'exec', sql: [sql], binds: [0] });
          return target.exec(sql);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
