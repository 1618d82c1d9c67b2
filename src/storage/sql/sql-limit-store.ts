/**
 * `LimitStore` over `local_limit_counts`: the counts behind the optional local key limits and the
 * access-token limits. Token rows use the subject `t:<token id>` and the model `requests` or `tokens`.
 */
import type { KeyReservation, LimitStore, TokenReservation, TokenWindowCounts } from '../../core/ports.js';
import { tokenSubject } from '../../core/tokens/token-policy.js';
import type { LimitCount } from '../../core/types.js';
import type { SqlDriver, SqlStatement } from './driver.js';
import type { SqlDialect } from './sql-dialect.js';
import { multiRowStatements } from './sql-util.js';

interface LimitRow {
  subject: string;
  model: string;
  period: string;
  window_end: number;
  count: number;
}

/** A limit that is off: no count reaches it. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

const stored = (model: string, period: string) =>
  `coalesce((SELECT count FROM local_limit_counts WHERE subject = ? AND model = '${model}' AND period = '${period}' AND window_end = ?), 0)`;

/**
 * Counts a request in both windows only when all four counts are below their limits. One statement
 * holds SQLite's write lock from its first read to its last write, so concurrent reservations from
 * any number of connections (processes, D1 isolates) are serialized and never overshoot. PostgreSQL
 * takes a lock on the subject first (`dialect.lockStatements`), in the same transaction.
 */
const reserveSql = (dialect: SqlDialect): string =>
  'INSERT INTO local_limit_counts (subject, model, period, window_end, count) ' +
  `SELECT ?, 'requests', column1, column2, 1 FROM (VALUES ('minute', ?), ('day', ?))${dialect.valuesAlias} ` +
  `WHERE ${stored('requests', 'minute')} < ? AND ${stored('requests', 'day')} < ? ` +
  `AND ${stored('tokens', 'minute')} < ? AND ${stored('tokens', 'day')} < ? ` +
  'ON CONFLICT(subject, model, period, window_end) DO UPDATE SET count = local_limit_counts.count + 1';

const storedKeyCount = (period: string) =>
  `coalesce((SELECT count FROM local_limit_counts WHERE subject = ? AND model = ? AND period = '${period}' AND window_end = ?), 0)`;

/**
 * Counts a key's request in each window that is on (its end is not 0), only when both counts are
 * below their limits; atomic for the same reasons as `reserveSql`, PostgreSQL's lock included.
 */
const reserveKeySql = (dialect: SqlDialect): string =>
  'INSERT INTO local_limit_counts (subject, model, period, window_end, count) ' +
  `SELECT ?, ?, column1, column2, 1 FROM (VALUES ('minute', ?), ('day', ?))${dialect.valuesAlias} ` +
  `WHERE column2 > 0 AND ${storedKeyCount('minute')} < ? AND ${storedKeyCount('day')} < ? ` +
  'ON CONFLICT(subject, model, period, window_end) DO UPDATE SET count = local_limit_counts.count + 1';

/** Upserts that add each increment to its window's stored count (`count = count + ?`), chunked for D1. */
export function limitCountStatements(driver: SqlDriver, rows: readonly LimitCount[]): SqlStatement[] {
  return multiRowStatements(
    driver,
    rows.map((r) => [r.subject, r.model, r.period, r.windowEnd, r.count]),
    5,
    (values) =>
      `INSERT INTO local_limit_counts (subject, model, period, window_end, count) VALUES ${values} ` +
      'ON CONFLICT(subject, model, period, window_end) DO UPDATE SET count = local_limit_counts.count + excluded.count',
  );
}

const emptyCounts = (): TokenWindowCounts => ({
  minuteRequests: 0,
  dayRequests: 0,
  minuteTokens: 0,
  dayTokens: 0,
});

function addRow(counts: TokenWindowCounts, row: Pick<LimitRow, 'model' | 'period' | 'count'>): void {
  const n = Number(row.count);
  if (row.model === 'requests') {
    if (row.period === 'minute') counts.minuteRequests += n;
    else counts.dayRequests += n;
  } else if (row.period === 'minute') counts.minuteTokens += n;
  else counts.dayTokens += n;
}

export class SqlLimitStore implements LimitStore {
  constructor(private readonly driver: SqlDriver) {}

  async loadLimitCounts(now: number): Promise<LimitCount[]> {
    const rows = await this.driver.all<LimitRow>(
      "SELECT subject, model, period, window_end, count FROM local_limit_counts WHERE window_end > ? AND subject NOT LIKE 't:%'",
      [now],
    );
    return rows.map((r) => ({
      subject: r.subject,
      model: r.model,
      period: r.period === 'day' ? 'day' : 'minute',
      windowEnd: Number(r.window_end),
      count: Number(r.count),
    }));
  }

  async reserveTokenRequests(reservations: readonly TokenReservation[]): Promise<boolean[]> {
    if (reservations.length === 0) return [];
    const limit = (n: number | null) => (n === null ? NO_LIMIT : n);
    const sql = reserveSql(this.driver.dialect);
    const statements = reservations.map((r) => {
      const subject = tokenSubject(r.tokenId);
      return {
        sql,
        params: [
          subject,
          r.minuteEnd,
          r.dayEnd,
          subject,
          r.minuteEnd,
          limit(r.rpm),
          subject,
          r.dayEnd,
          limit(r.rpd),
          subject,
          r.minuteEnd,
          limit(r.tpm),
          subject,
          r.dayEnd,
          limit(r.tpd),
        ],
      };
    });
    return this.reserve(
      reservations.map((r) => tokenSubject(r.tokenId)),
      statements,
    );
  }

  /**
   * Runs conditional reservations in one transaction, after the dialect's locks on their subjects
   * (none on SQLite), and tells which counted: a counted one changes rows, a refused one none.
   */
  private async reserve(subjects: string[], statements: SqlStatement[]): Promise<boolean[]> {
    const locks = this.driver.dialect.lockStatements(subjects);
    const results = await this.driver.batch([...locks, ...statements]);
    return results.slice(locks.length).map((result) => result.changes > 0);
  }

  async reserveKeyRequests(reservations: readonly KeyReservation[]): Promise<boolean[]> {
    if (reservations.length === 0) return [];
    const limit = (n: number) => (n > 0 ? n : NO_LIMIT);
    const sql = reserveKeySql(this.driver.dialect);
    const statements = reservations.map((r) => ({
      sql,
      params: [
        r.subject,
        r.model,
        r.minuteEnd,
        r.dayEnd,
        r.subject,
        r.model,
        r.minuteEnd,
        limit(r.rpm),
        r.subject,
        r.model,
        r.dayEnd,
        limit(r.rpd),
      ],
    }));
    return this.reserve(
      reservations.map((r) => r.subject),
      statements,
    );
  }

  async tokenCounts(tokenId: number, minuteEnd: number, dayEnd: number): Promise<TokenWindowCounts> {
    const rows = await this.driver.all<LimitRow>(
      'SELECT model, period, count FROM local_limit_counts WHERE subject = ? AND ' +
        "((period = 'minute' AND window_end = ?) OR (period = 'day' AND window_end = ?))",
      [tokenSubject(tokenId), minuteEnd, dayEnd],
    );
    const counts = emptyCounts();
    for (const row of rows) addRow(counts, row);
    return counts;
  }

  async tokenWindowCounts(minuteEnd: number, dayEnd: number): Promise<Map<number, TokenWindowCounts>> {
    const rows = await this.driver.all<LimitRow>(
      "SELECT subject, model, period, count FROM local_limit_counts WHERE subject >= 't:' AND subject < 't;' AND " +
        "((period = 'minute' AND window_end = ?) OR (period = 'day' AND window_end = ?))",
      [minuteEnd, dayEnd],
    );
    const byToken = new Map<number, TokenWindowCounts>();
    for (const row of rows) {
      const id = Number(row.subject.slice(2));
      let counts = byToken.get(id);
      if (!counts) byToken.set(id, (counts = emptyCounts()));
      addRow(counts, row);
    }
    return byToken;
  }

  async pruneLimitCounts(now: number): Promise<number> {
    const { changes } = await this.driver.run('DELETE FROM local_limit_counts WHERE window_end <= ?', [now]);
    return changes;
  }
}
