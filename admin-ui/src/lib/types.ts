// Shapes of the admin API (docs/admin-api.md). Times are ISO 8601 strings in UTC.
import type { ConfigInput } from '../../../src/core/config.js';

export type KeyState = 'active' | 'cooling' | 'disabled';

export interface Cooldown {
  model: string;
  until: string;
  reason: string;
}

export interface DisabledInfo {
  by: 'auto' | 'manual';
  reason: string | null;
  until: string | null;
}

export interface KeyEntry {
  id: number;
  key: string;
  gmail_email: string | null;
  project: string | null;
  group: string | null;
  is_active: boolean;
  state: KeyState;
  cooldowns: Cooldown[];
  disabled: DisabledInfo | null;
  total_requests: number;
  error_count: number;
  consecutive_errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  last_used_at: string | null;
  last_error: string | null;
  created_at: string;
  /** Live files, cached contents, batches and operations the key owns. */
  resources: number;
}

export type KeySort = 'id' | 'total_requests' | 'total_tokens' | 'error_count' | 'last_used_at';
export type SortOrder = 'asc' | 'desc';

export interface KeyQuery {
  q: string;
  state: KeyState | '';
  /** A group name, `-` for keys of no group, '' for all. */
  group: string;
  sort: KeySort;
  order: SortOrder;
  page: number;
  page_size: number;
}

export interface KeyList {
  keys: KeyEntry[];
  total: number;
  page: number;
  page_size: number;
  counts: Record<KeyState, number>;
}

export interface AddKeysResult {
  added: number;
  duplicates: number;
  invalid: number;
}

export type KeyPatch = Partial<Pick<KeyEntry, 'is_active' | 'gmail_email' | 'project' | 'group'>>;
export type BulkAction = 'enable' | 'disable' | 'delete' | 'reset-errors';

export type CheckResult = 'valid' | 'invalid' | 'rate_limited' | 'error' | 'unreachable' | 'skipped';

/** One key's upstream check (`POST /admin/api/keys/validate`). */
export interface KeyCheck {
  id: number;
  key: string;
  result: CheckResult;
  status: number | null;
  reason: string | null;
  action: 'enabled' | 'disabled' | 'none';
  /** Null when the key was deleted meanwhile. */
  state: KeyState | null;
}

export type CheckSummary = Record<CheckResult | 'checked' | 'enabled' | 'disabled', number>;

export interface ValidateResult {
  results: KeyCheck[];
  summary: CheckSummary;
  not_found: number[];
}

export interface ConfigEntry {
  key: string;
  value: string;
  default: string;
  description: string;
  input: ConfigInput;
}

export interface AccessToken {
  id: number;
  name: string;
  hint: string;
  source: 'api' | 'env';
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  models: string[];
  rpm: number | null;
  rpd: number | null;
  tpm: number | null;
  tpd: number | null;
  expires_at: string | null;
  key_group: string | null;
  enabled: boolean;
  usage: {
    minute: { requests: number; tokens: number; resets_at: string };
    day: { requests: number; tokens: number; resets_at: string };
  };
}

/** What `POST /admin/api/tokens` and `PATCH /admin/api/tokens/{id}` take besides `name`. */
export type TokenRules = Pick<
  AccessToken,
  'models' | 'rpm' | 'rpd' | 'tpm' | 'tpd' | 'expires_at' | 'key_group' | 'enabled'
>;

export type StatsRange = 'hour' | 'day' | 'week';

interface Counted {
  requests: number;
  errors: number;
  total_tokens: number;
}

export interface Stats {
  range: StatsRange;
  since: string;
  until: string;
  bucket_seconds: number;
  totals: Counted & { prompt_tokens: number; completion_tokens: number };
  by_key: Array<Counted & { key_id: number | null; key: string | null }>;
  by_endpoint: Array<Counted & { endpoint: string }>;
  by_model: Array<Counted & { model: string | null }>;
  by_status: Array<{ status: number; count: number }>;
  series: Array<Counted & { t: string }>;
  keys: { total: number } & Record<KeyState, number>;
}

export interface UsageRow {
  id: number;
  time: string;
  key_id: number | null;
  key: string | null;
  token_id: number | null;
  endpoint: string;
  model: string | null;
  status: number;
  outcome: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  latency_ms: number;
  attempt: number;
  error: string | null;
}

export interface UsageFilters {
  key_id: string;
  token_id: string;
  model: string;
  endpoint: string;
  status: string;
}

export interface UsagePage {
  usage: UsageRow[];
  next_before: number | null;
}
