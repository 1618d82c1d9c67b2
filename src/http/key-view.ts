/** The admin API's view of a key: masked, with its state spelled out. Never the full key. */
import type { KeyPool } from '../core/pool/pool.js';
import { isoTime } from '../core/access-tokens.js';
import { maskKey } from '../core/keys/mask.js';
import type { PoolKey } from '../core/types.js';

export type KeyStateName = 'active' | 'cooling' | 'disabled';

/**
 * `resources`: how many live files, cached contents, batches and operations the key owns. They
 * are reachable through the pool only while the key is (or a key of its project is) usable.
 */
export function keyView(pool: KeyPool, key: PoolKey, now: number, resources: number) {
  const view = pool.stateOf(key, now);
  const running = key.cooldowns.filter((c) => c.until > now);
  return {
    id: key.id,
    key: maskKey(key.apiKey),
    gmail_email: key.email,
    project: key.project,
    group: key.group,
    is_active: view.state !== 'disabled',
    state: view.state as KeyStateName,
    cooldowns: running.map((c) => ({ model: c.model, until: isoTime(c.until), reason: c.reason })),
    disabled: key.disabled
      ? { by: key.disabled.by, reason: key.disabled.reason, until: isoTime(key.disabled.until) }
      : null,
    total_requests: key.totalRequests,
    error_count: key.errorCount,
    consecutive_errors: key.consecutiveErrors,
    prompt_tokens: key.tokens.prompt,
    completion_tokens: key.tokens.completion,
    total_tokens: key.tokens.total,
    last_used_at: isoTime(key.lastUsedAt),
    last_error: key.lastError,
    created_at: isoTime(key.createdAt),
    resources,
  };
}

export type KeyView = ReturnType<typeof keyView>;
