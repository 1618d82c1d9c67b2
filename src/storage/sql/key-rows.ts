/** Row shapes of `api_keys` and `key_cooldowns`, and their mapping to `PoolKey`. */
import type { KeyCipher } from '../../core/ports.js';
import type { Cooldown, KeyDisable, PoolKey } from '../../core/types.js';

export interface KeyRow {
  id: number;
  api_key: string;
  gmail_email: string | null;
  is_active: number;
  total_requests: number;
  error_count: number;
  last_used_at: number | null;
  key_hash: string;
  key_hint: string;
  project: string | null;
  /** From `api_key_groups` (see `KEY_SELECT`). */
  key_group: string | null;
  disabled_by: string | null;
  disabled_reason: string | null;
  disabled_until: number | null;
  consecutive_errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CooldownRow {
  api_key_id: number;
  model: string;
  until_ms: number;
  reason: string;
}

/** Columns written for a `disabled` value; `is_active` mirrors it so the seed's queries stay truthful. */
export function disableColumns(disabled: KeyDisable | null): Record<string, unknown> {
  if (!disabled) {
    return { disabled_by: null, disabled_reason: null, disabled_until: null, is_active: 1 };
  }
  return {
    disabled_by: disabled.by,
    disabled_reason: disabled.reason,
    disabled_until: disabled.until,
    is_active: 0,
  };
}

/** `SELECT` of key rows with their group; append a `WHERE`/`ORDER BY` on `api_keys` columns. */
export const KEY_SELECT =
  'SELECT api_keys.*, g.key_group AS key_group FROM api_keys LEFT JOIN api_key_groups g ON g.api_key_id = api_keys.id';

const nullableNumber = (v: number | null): number | null => (v === null ? null : Number(v));

function toDisable(row: KeyRow): KeyDisable | null {
  if (row.disabled_by !== null) {
    return {
      by: row.disabled_by === 'manual' ? 'manual' : 'auto',
      reason: row.disabled_reason ?? row.disabled_by,
      until: nullableNumber(row.disabled_until),
    };
  }
  // `is_active = 0` without a disable was set by hand (the seed's way to turn a key off).
  if (Number(row.is_active) === 0) return { by: 'manual', reason: 'manual', until: null };
  return null;
}

/** Groups cooldown rows by key id. */
export function groupCooldowns(rows: CooldownRow[]): Map<number, Cooldown[]> {
  const byKey = new Map<number, Cooldown[]>();
  for (const row of rows) {
    const id = Number(row.api_key_id);
    let list = byKey.get(id);
    if (!list) byKey.set(id, (list = []));
    list.push({ model: row.model, until: Number(row.until_ms), reason: row.reason });
  }
  return byKey;
}

/** Maps one row to a `PoolKey`, decrypting the stored key. */
export async function toPoolKey(row: KeyRow, cooldowns: Cooldown[], cipher: KeyCipher): Promise<PoolKey> {
  return {
    id: Number(row.id),
    apiKey: await cipher.decrypt(row.api_key),
    email: row.gmail_email,
    project: row.project,
    group: row.key_group ?? null,
    disabled: toDisable(row),
    cooldowns,
    consecutiveErrors: Number(row.consecutive_errors),
    totalRequests: Number(row.total_requests),
    errorCount: Number(row.error_count),
    tokens: {
      prompt: Number(row.prompt_tokens),
      completion: Number(row.completion_tokens),
      total: Number(row.total_tokens),
    },
    lastUsedAt: nullableNumber(row.last_used_at),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Maps rows and their cooldowns to keys, in row order. */
export async function toPoolKeys(
  rows: KeyRow[],
  cooldownRows: CooldownRow[],
  cipher: KeyCipher,
): Promise<PoolKey[]> {
  const cooldowns = groupCooldowns(cooldownRows);
  return Promise.all(rows.map((row) => toPoolKey(row, cooldowns.get(Number(row.id)) ?? [], cipher)));
}
