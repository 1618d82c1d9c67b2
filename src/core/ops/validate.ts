/**
 * Key checks: one cheap upstream call per key (list one model on the native API, with the key in
 * `x-goog-api-key`), classified like any other response, with bounded concurrency. A key Google
 * rejects is disabled (auto, with its reason); an auto-disabled key that passes is re-enabled. A key
 * an admin disabled by hand is left alone and never sent upstream.
 */
import { CancelSource } from '../cancel.js';
import { classifyResponse, classifyTransportError } from '../health/classify.js';
import { maskKey } from '../keys/mask.js';
import type { PoolService } from '../pool-service.js';
import type { Upstream } from '../ports.js';
import type { KeyStateChange, PoolKey } from '../types.js';

export type CheckResult = 'valid' | 'invalid' | 'rate_limited' | 'error' | 'unreachable' | 'skipped';
export type CheckAction = 'enabled' | 'disabled' | 'none';

/** One key's check, as the API, the CLI and the logs show it: the key only masked. */
export interface KeyCheck {
  id: number;
  key: string;
  result: CheckResult;
  /** Upstream HTTP status; null when no request was sent or no response arrived. */
  status: number | null;
  /**
   * `ErrorInfo.reason`, Google's `error.status`, `timeout`, `connection`, what failed when Gemini
   * could not be reached at all (e.g. `the outbound proxy refused the tunnel: 407`), or `manual`;
   * null when valid.
   */
  reason: string | null;
  action: CheckAction;
}

export interface CheckSummary {
  checked: number;
  valid: number;
  invalid: number;
  rate_limited: number;
  error: number;
  unreachable: number;
  skipped: number;
  enabled: number;
  disabled: number;
}

export interface KeyCheckerDeps {
  service: PoolService;
  upstream: Upstream;
  /** Without a trailing slash. */
  upstreamBaseUrl: string;
}

export interface CheckOptions {
  /** Parallel upstream calls (default 8). */
  concurrency?: number;
}

export const DEFAULT_CHECK_CONCURRENCY = 8;

type Verdict = Omit<KeyCheck, 'id' | 'key' | 'action'> & { change: KeyStateChange | null };

function tryParseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** Counts each result and action. */
export function summarize(checks: readonly KeyCheck[]): CheckSummary {
  const summary: CheckSummary = {
    checked: 0,
    valid: 0,
    invalid: 0,
    rate_limited: 0,
    error: 0,
    unreachable: 0,
    skipped: 0,
    enabled: 0,
    disabled: 0,
  };
  for (const c of checks) {
    summary[c.result] += 1;
    if (c.result !== 'skipped') summary.checked += 1;
    if (c.action !== 'none') summary[c.action] += 1;
  }
  return summary;
}

export class KeyChecker {
  constructor(private readonly deps: KeyCheckerDeps) {}

  /**
   * Checks the keys with these ids (unknown ids are ignored), or every key when `ids` is null, and
   * applies the resulting state changes to the pool and the write buffer, then flushes.
   * Results are ordered by id.
   */
  async check(ids: readonly number[] | null, opts: CheckOptions = {}): Promise<KeyCheck[]> {
    const { pool } = this.deps.service;
    const keys =
      ids === null
        ? [...pool.list()]
        : [...new Set(ids)].flatMap((id) => pool.get(id) ?? []).sort((a, b) => a.id - b.id);
    return this.run(keys, opts.concurrency ?? DEFAULT_CHECK_CONCURRENCY);
  }

  private async run(keys: PoolKey[], concurrency: number): Promise<KeyCheck[]> {
    const { service } = this.deps;
    const checks: KeyCheck[] = new Array<KeyCheck>(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const i = next++;
        checks[i] = await this.checkOne(keys[i] as PoolKey);
      }
    };
    const workers = Math.max(1, Math.min(Math.floor(concurrency), keys.length));
    await Promise.all(Array.from({ length: workers }, worker));
    for (const c of checks) if (c.result !== 'skipped') service.metrics.recordValidation(c.result);
    await service.flush();
    return checks;
  }

  private async checkOne(key: PoolKey): Promise<KeyCheck> {
    const view = { id: key.id, key: maskKey(key.apiKey) };
    if (key.disabled?.by === 'manual') {
      return { ...view, result: 'skipped', status: null, reason: 'manual', action: 'none' };
    }
    const verdict = await this.ask(key);
    // An admin may have disabled the key by hand while its check was in flight: that wins.
    const live = this.deps.service.pool.get(key.id);
    let action: CheckAction = 'none';
    if (verdict.change && live && live.disabled?.by !== 'manual') {
      this.deps.service.applyChanges([verdict.change]);
      action = verdict.change.disabled ? 'disabled' : 'enabled';
    }
    return { ...view, result: verdict.result, status: verdict.status, reason: verdict.reason, action };
  }

  /** One upstream call and what it means for the key. */
  private async ask(key: PoolKey): Promise<Verdict> {
    const { upstream, upstreamBaseUrl, service } = this.deps;
    const cancel = new CancelSource();
    const timer = setTimeout(
      () => cancel.cancel(new DOMException('key check timed out', 'TimeoutError')),
      service.config.requestTimeoutMs,
    );
    let status: number;
    let body: unknown;
    try {
      const res = await upstream.request({
        method: 'GET',
        url: `${upstreamBaseUrl}/v1beta/models?pageSize=1`,
        headers: { accept: 'application/json', 'x-goog-api-key': key.apiKey },
        cancel,
      });
      status = res.status;
      body = tryParseJson(await res.bytes());
    } catch (err) {
      const outcome = classifyTransportError(cancel.reason ?? err);
      return {
        result: 'unreachable',
        status: null,
        reason: outcome.kind === 'upstream-fault' ? (outcome.detail ?? outcome.reason) : null,
        change: null,
      };
    } finally {
      clearTimeout(timer);
    }
    const outcome = classifyResponse(status, body, null);
    const wasAuto = key.disabled?.by === 'auto';
    const enable: KeyStateChange | null = wasAuto
      ? { keyId: key.id, disabled: null, consecutiveErrors: 0 }
      : null;
    switch (outcome.kind) {
      case 'ok':
        return { result: 'valid', status, reason: null, change: enable };
      case 'rate-limited':
        // Google authenticated the key before counting its quota: it works.
        return { result: 'rate_limited', status, reason: outcome.scope, change: enable };
      case 'key-fatal': {
        const same =
          key.disabled?.by === 'auto' &&
          key.disabled.reason === outcome.reason &&
          key.disabled.until === null;
        const change: KeyStateChange = {
          keyId: key.id,
          disabled: { by: 'auto', reason: outcome.reason, until: null },
        };
        if (outcome.project !== undefined && key.project === null) change.project = outcome.project;
        return {
          result: 'invalid',
          status,
          reason: outcome.reason,
          change: same && change.project === undefined ? null : change,
        };
      }
      case 'key-error':
      case 'upstream-fault':
        return {
          result: outcome.kind === 'key-error' ? 'error' : 'unreachable',
          status,
          reason: outcome.reason,
          change: null,
        };
      case 'client-fault':
        return { result: 'error', status, reason: `HTTP_${status}`, change: null };
    }
  }
}
