/**
 * Statements of the two write paths that run often: a flush (`applyBatch`) and the maintenance job.
 * Counters use atomic increments (`x = x + ?`), never read-modify-write, so concurrent writers
 * (several isolates, the CLI) never lose an update.
 */
import type { KeyCounterDelta, KeyStateChange, UsageRecord, WriteBatch } from '../../core/types.js';
import type { SqlDriver, SqlStatement } from './driver.js';
import { disableColumns } from './key-rows.js';
import type { SqlDialect } from './sql-dialect.js';
import { limitCountStatements } from './sql-limit-store.js';
import { multiRowStatements, setClause } from './sql-util.js';

const USAGE_COLUMNS = [
  'api_key_id',
  'endpoint',
  'response_status',
  'tokens_used',
  'request_timestamp',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'latency_ms',
  'outcome',
  'access_token_id',
  'attempt',
  'error',
];

function usageRow(r: UsageRecord): unknown[] {
  return [
    r.keyId,
    r.endpoint,
    r.status,
    r.tokens.total,
    r.timestamp,
    r.model,
    r.tokens.prompt,
    r.tokens.completion,
    r.latencyMs,
    r.outcome,
    r.accessTokenId,
    r.attempt,
    r.error,
  ];
}

interface KeyUpdate {
  sets: string[];
  params: unknown[];
}

function counterSets(dialect: SqlDialect, d: KeyCounterDelta): KeyUpdate {
  const sets = [
    'total_requests = total_requests + ?',
    'error_count = error_count + ?',
    'prompt_tokens = prompt_tokens + ?',
    'completion_tokens = completion_tokens + ?',
    'total_tokens = total_tokens + ?',
    `last_used_at = ${dialect.greatest('coalesce(last_used_at, 0)', '?')}`,
  ];
  const params: unknown[] = [
    d.requests,
    d.errors,
    d.tokens.prompt,
    d.tokens.completion,
    d.tokens.total,
    d.lastUsedAt,
  ];
  if (d.lastError) {
    // SET expressions read the old row, so a late-arriving older error never replaces a newer one.
    sets.push(
      'last_error = CASE WHEN ? >= coalesce(last_error_at, 0) THEN ? ELSE last_error END',
      `last_error_at = ${dialect.greatest('coalesce(last_error_at, 0)', '?')}`,
    );
    params.push(d.lastError.at, d.lastError.text, d.lastError.at);
  }
  return { sets, params };
}

/** The columns a key's state changes set, later changes winning, as each would if run in turn. */
function stateValues(changes: KeyStateChange[], now: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const c of changes) {
    if (c.disabled !== undefined) Object.assign(values, disableColumns(c.disabled));
    if (c.consecutiveErrors !== undefined) values.consecutive_errors = c.consecutiveErrors;
    if (c.project !== undefined) values.project = c.project;
  }
  // Any state change, a new cooldown included, bumps updated_at so incremental refreshes see it.
  values.updated_at = now;
  return values;
}

/**
 * One UPDATE per key for its counters and its state changes together: D1 bills each statement's
 * changed rows, so a key's counters and its new state cost one row, not two. Counters touch no
 * column that state sets.
 */
function keyStatements(dialect: SqlDialect, batch: WriteBatch, now: number): SqlStatement[] {
  const updates = new Map<number, KeyUpdate>();
  const update = (keyId: number) => {
    let u = updates.get(keyId);
    if (!u) updates.set(keyId, (u = { sets: [], params: [] }));
    return u;
  };
  for (const d of batch.counters) {
    const { sets, params } = counterSets(dialect, d);
    update(d.keyId).sets.push(...sets);
    update(d.keyId).params.push(...params);
  }
  const changesByKey = new Map<number, KeyStateChange[]>();
  for (const c of batch.changes) {
    // A cooldown other processes read from the usage row is stored in key_cooldowns alone (1 row
    // written); moving updated_at would cost the key row and its index entry (2 more).
    if (c.inUsageRow && isCooldownOnly(c)) continue;
    changesByKey.set(c.keyId, [...(changesByKey.get(c.keyId) ?? []), c]);
  }
  for (const [keyId, changes] of changesByKey) {
    const set = setClause(stateValues(changes, now));
    update(keyId).sets.push(set.sql);
    update(keyId).params.push(...set.params);
  }
  // In id order, so that flushes of several gateways lock rows in one order and never deadlock.
  return [...updates]
    .sort(([a], [b]) => a - b)
    .map(([keyId, u]) => ({
      sql: `UPDATE api_keys SET ${u.sets.join(', ')} WHERE id = ?`,
      params: [...u.params, keyId],
    }));
}

function isCooldownOnly(c: KeyStateChange): boolean {
  return c.disabled === undefined && c.consecutiveErrors === undefined && c.project === undefined;
}

function cooldownStatements(driver: SqlDriver, changes: KeyStateChange[]): SqlStatement[] {
  // In key order, as the key updates (a stable sort keeps a key's cooldowns in their order).
  const rows = [...changes]
    .sort((a, b) => a.keyId - b.keyId)
    .flatMap((c) => (c.cooldowns ?? []).map((cd) => [c.keyId, cd.model, cd.until, cd.reason]));
  return multiRowStatements(
    driver,
    rows,
    4,
    // Skips keys deleted meanwhile; an existing cooldown keeps the later end.
    (values) =>
      'INSERT INTO key_cooldowns (api_key_id, model, until_ms, reason) ' +
      `SELECT column1, column2, column3, column4 FROM (VALUES ${values})${driver.dialect.valuesAlias} ` +
      'WHERE column1 IN (SELECT id FROM api_keys) ' +
      'ON CONFLICT(api_key_id, model) DO UPDATE SET until_ms = excluded.until_ms, reason = excluded.reason ' +
      'WHERE excluded.until_ms > key_cooldowns.until_ms',
  );
}

const TOKEN_TOUCH_INTERVAL_MS = 60_000;

function tokenStatements(usage: UsageRecord[]): SqlStatement[] {
  const lastUse = new Map<number, number>();
  for (const r of usage) {
    if (r.accessTokenId !== null)
      lastUse.set(r.accessTokenId, Math.max(lastUse.get(r.accessTokenId) ?? 0, r.timestamp));
  }
  // At most one write per token per minute: D1 bills rows written, and a request would otherwise cost one more.
  return [...lastUse].map(([id, at]) => ({
    sql: 'UPDATE access_tokens SET last_used_at = ? WHERE id = ? AND coalesce(last_used_at, 0) < ?',
    params: [at, id, at - TOKEN_TOUCH_INTERVAL_MS],
  }));
}

/** Every statement of one flush, in the order they must run (in one transaction or `db.batch`). */
export function batchStatements(driver: SqlDriver, batch: WriteBatch, now: number): SqlStatement[] {
  const usage = multiRowStatements(
    driver,
    batch.usage.map(usageRow),
    USAGE_COLUMNS.length,
    (values) => `INSERT INTO api_key_usage (${USAGE_COLUMNS.join(', ')}) VALUES ${values}`,
  );
  return [
    ...usage,
    ...tokenStatements(batch.usage),
    ...keyStatements(driver.dialect, batch, now),
    ...cooldownStatements(driver, batch.changes),
    ...limitCountStatements(driver, batch.limitCounts ?? []),
  ];
}

/**
 * The maintenance job as four statements, whose `changes` are: keys touched by ended cooldowns,
 * cooldowns cleared, keys re-enabled, consecutive error counts reset.
 */
export function maintenanceStatements(now: number, errorResetMs: number): SqlStatement[] {
  return [
    {
      sql: 'UPDATE api_keys SET updated_at = ? WHERE id IN (SELECT api_key_id FROM key_cooldowns WHERE until_ms <= ?)',
      params: [now, now],
    },
    { sql: 'DELETE FROM key_cooldowns WHERE until_ms <= ?', params: [now] },
    {
      sql:
        'UPDATE api_keys SET disabled_by = NULL, disabled_reason = NULL, disabled_until = NULL, is_active = 1, ' +
        "consecutive_errors = 0, updated_at = ? WHERE disabled_by = 'auto' AND disabled_until IS NOT NULL AND disabled_until <= ?",
      params: [now, now],
    },
    {
      // A count without a recorded error time could never age out, so it counts as old.
      sql:
        'UPDATE api_keys SET consecutive_errors = 0, updated_at = ? ' +
        'WHERE consecutive_errors > 0 AND coalesce(last_error_at, 0) <= ?',
      params: [now, now - errorResetMs],
    },
  ];
}
