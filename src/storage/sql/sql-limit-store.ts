/** `LimitStore` over `local_limit_counts`: the counts behind the optional local limits. */
import type { LimitStore } from '../../core/ports.js';
import type { LimitCount } from '../../core/types.js';
import type { SqlDriver, SqlStatement } from './driver.js';
import { multiRowStatements } from './sql-util.js';

interface LimitRow {
  subject: string;
  model: string;
  period: string;
  window_end: number;
  count: number;
}

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

export class SqlLimitStore implements LimitStore {
  constructor(private readonly driver: SqlDriver) {}

  async loadLimitCounts(now: number): Promise<LimitCount[]> {
    const rows = await this.driver.all<LimitRow>(
      'SELECT subject, model, period, window_end, count FROM local_limit_counts WHERE window_end > ?',
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

  async pruneLimitCounts(now: number): Promise<number> {
    const { changes } = await this.driver.run('DELETE FROM local_limit_counts WHERE window_end <= ?', [now]);
    return changes;
  }
}
