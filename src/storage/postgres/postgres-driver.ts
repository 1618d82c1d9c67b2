/** `SqlDriver` over postgres.js: the stores' `?` placeholders become `$n`, and batches run in one transaction. */
import type { ParameterOrJSON, Sql } from 'postgres';
import type { SqlDriver, SqlStatement } from '../sql/driver.js';
import { POSTGRES_DIALECT } from '../sql/sql-dialect.js';

/** Statements with chunked `VALUES`/`IN` lists vary in text, so the cache is bounded. */
const CACHE_LIMIT = 512;

/**
 * `sql` with each `?` outside string literals and quoted names replaced by `$1`, `$2`, …
 * The stores' SQL has no `?` operators (PostgreSQL's JSON ones), so every other `?` is a placeholder.
 */
export function toPositional(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** int8 and text as declared types: inside `VALUES` lists and `CASE`s PostgreSQL cannot infer them. */
const INT8 = 20;
const FLOAT8 = 701;
const TEXT = 25;

export class PostgresDriver implements SqlDriver {
  /** PostgreSQL's wire protocol carries at most 65535 parameters; postgres.js stops at 65534. */
  readonly maxParams = 65_000;
  readonly dialect = POSTGRES_DIALECT;
  private readonly cache = new Map<string, string>();

  constructor(private readonly sql: Sql) {}

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return [...(await this.query(this.sql, sql, params))] as T[];
  }

  async first<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | null> {
    const rows = await this.query(this.sql, sql, params);
    return (rows[0] as T | undefined) ?? null;
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(this.sql, sql, params)).count };
  }

  async batch(statements: SqlStatement[]): Promise<Array<{ changes: number }>> {
    if (statements.length === 0) return [];
    // Sent together (postgres.js pipelines them on the transaction's connection), applied in order.
    const results = await this.sql.begin((tx) =>
      Promise.all(statements.map((s) => this.query(tx as unknown as Sql, s.sql, s.params))),
    );
    return (results as Array<{ count: number }>).map((r) => ({ changes: r.count }));
  }

  private query(client: Sql, sql: string, params: unknown[]) {
    return client.unsafe(
      this.positional(sql),
      params.map((p) => this.typed(client, p)),
      { prepare: true },
    );
  }

  private typed(client: Sql, value: unknown): ParameterOrJSON<never> {
    if (typeof value === 'number')
      return client.typed(value as never, Number.isInteger(value) ? INT8 : FLOAT8);
    if (typeof value === 'string') return client.typed(value as never, TEXT);
    return (value ?? null) as ParameterOrJSON<never>;
  }

  private positional(sql: string): string {
    let text = this.cache.get(sql);
    if (text === undefined) {
      text = toPositional(sql);
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(sql, text);
    }
    return text;
  }
}
