/**
 * Domain types shared by the core, the storage adapters and the HTTP layer.
 * All times are Unix epoch milliseconds.
 */

/** Why a key is out of rotation. `manual` is an admin's choice; everything else was decided by the pool. */
export type DisabledBy = 'manual' | 'auto';

export interface KeyDisable {
  by: DisabledBy;
  /** `manual`, an upstream `ErrorInfo.reason` such as `API_KEY_INVALID`, or `TOO_MANY_ERRORS`. */
  reason: string;
  /** When a temporary disable ends; `null` means until someone (or a validation run) re-enables it. */
  until: number | null;
}

/** One model a key must not be used for until `until`. */
export interface Cooldown {
  model: string;
  until: number;
  /** `per_minute`, `per_day` or `default`, from the 429's `quotaId`. */
  reason: string;
}

/** Token counts of one response. */
export interface Tokens {
  prompt: number;
  completion: number;
  total: number;
}

/** Everything the pool knows about one key. `apiKey` is plaintext (decrypted) and never leaves the process. */
export interface PoolKey {
  id: number;
  apiKey: string;
  email: string | null;
  project: string | null;
  /** The key's group, for tokens bound to one (`key_group`); null for a key in no group. */
  group: string | null;
  disabled: KeyDisable | null;
  cooldowns: Cooldown[];
  consecutiveErrors: number;
  totalRequests: number;
  errorCount: number;
  tokens: Tokens;
  lastUsedAt: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A key to add. */
export interface NewKey {
  apiKey: string;
  email?: string | null;
  project?: string | null;
  group?: string | null;
}

/** Admin-editable fields of a key. */
export interface KeyPatch {
  isActive?: boolean;
  email?: string | null;
  project?: string | null;
  group?: string | null;
}

/** One upstream attempt, as recorded in `api_key_usage`. */
export interface UsageRecord {
  keyId: number | null;
  /** Operation name, e.g. `chat.completions`, `embeddings`, `generateContent`. */
  endpoint: string;
  model: string | null;
  status: number;
  outcome: OutcomeKind;
  tokens: Tokens;
  latencyMs: number;
  accessTokenId: number | null;
  attempt: number;
  timestamp: number;
  /** Short, redacted error description. */
  error: string | null;
}

/** Every attempt outcome recorded in `api_key_usage.outcome`; the panel names each one. */
export const OUTCOME_KINDS = [
  'ok',
  'key-fatal',
  'rate-limited',
  'key-error',
  'upstream-fault',
  'client-fault',
  'client-abort',
] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/** A change to one key's health, produced by `health/transitions.ts` and persisted by the store. */
export interface KeyStateChange {
  keyId: number;
  /** Set (or clear, with `null`) the disable. `undefined` leaves it. */
  disabled?: KeyDisable | null;
  /** Absolute new consecutive error count. */
  consecutiveErrors?: number;
  /** Cooldowns to add or extend. */
  cooldowns?: Cooldown[];
  /** Google's project number, learnt from an error body. */
  project?: string;
  /**
   * Other processes learn this change from its attempt's usage row (see
   * `core/health/usage-cooldowns.ts`), so storing it need not move the key's `updated_at`.
   */
  inUsageRow?: boolean;
}

/** Counter increments for one key, summed over a flush window. */
export interface KeyCounterDelta {
  keyId: number;
  requests: number;
  errors: number;
  tokens: Tokens;
  lastUsedAt: number;
  lastError?: { text: string; at: number };
}

/** Requests counted against a local limit in one window (see `core/ops/local-limits.ts`). */
export interface LimitCount {
  /** `k:<key id>`, or `p:<project>` when the key has a project. */
  subject: string;
  model: string;
  period: 'minute' | 'day';
  /** When the window ends (epoch ms); it also names the window. */
  windowEnd: number;
  count: number;
}

/** Everything written in one flush: applied in one transaction (SQLite) or one `db.batch` (D1). */
export interface WriteBatch {
  usage: UsageRecord[];
  counters: KeyCounterDelta[];
  changes: KeyStateChange[];
  /** Local-limit count increments, added to the stored counts. */
  limitCounts?: LimitCount[];
}

/**
 * What a token may do (`access_token_rules`). A token without rules may do everything with the keys
 * of no group. Limits are null when off.
 */
export interface TokenRules {
  /** Allowed models, `*` a wildcard; empty allows every model. */
  models: string[];
  rpm: number | null;
  rpd: number | null;
  tpm: number | null;
  tpd: number | null;
  /** After this instant (epoch ms) the token is refused as expired. */
  expiresAt: number | null;
  /** Null: keys of no group; `*`: any key; else the keys of this group. */
  keyGroup: string | null;
  /** False while the token is paused. */
  enabled: boolean;
}

export interface AccessToken extends TokenRules {
  id: number;
  name: string;
  /** First and last characters, for recognising it in lists. */
  hint: string;
  source: 'env' | 'api';
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}
