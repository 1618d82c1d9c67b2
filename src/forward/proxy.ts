/**
 * The attempt loop every proxied request goes through: pick a key → forward → classify → retry
 * on another key, never after the first byte has been sent to the client.
 */
import { isConnectFailure, type Outcome } from '../core/health/classify.js';
import { maskKey } from '../core/keys/mask.js';
import { NO_TOKENS, type PoolService } from '../core/pool-service.js';
import type { Clock, Logger, Upstream } from '../core/ports.js';
import type { PoolKey, Tokens } from '../core/types.js';
import { inKeyGroup, type PickResult } from '../core/pool/pool.js';
import { runAttempt } from './attempt.js';
import { GatewayError } from './gateway-error.js';
import { describe, type Failure, type ForwardPlan } from './forward-plan.js';
import type { Reply } from './reply.js';

export interface ProxyDeps {
  service: PoolService;
  upstream: Upstream;
  upstreamBaseUrl: string;
  clock: Clock;
  logger: Logger;
  logRequests: boolean;
}

/** 429 with `Retry-After`: every key that could serve the model is cooling down for it. */
function coolingReply(plan: ForwardPlan, retryAfterMs: number): Reply {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const err = new GatewayError(
    429,
    `Every usable key is cooling down for model ${plan.model ?? '*'}; retry in ${seconds} s`,
    'all_keys_cooling',
    { retryAfterSeconds: seconds },
  );
  return plan.dialect.errorReply(err);
}

const isRetryable = (o: Outcome): boolean => o.kind !== 'ok' && o.kind !== 'client-fault';

/** The 502/504 for an attempt that got no HTTP answer at all (status 0). */
function transportError(outcome: Outcome, attempts: number, deadlineMs: number | null): GatewayError {
  const reason = outcome.kind === 'upstream-fault' ? outcome.reason : '';
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  if (outcome.kind === 'upstream-fault' && outcome.detail) {
    const timedOut = reason === 'connect_timeout';
    return new GatewayError(
      timedOut ? 504 : 502,
      `Could not reach Gemini (${tries}): ${outcome.detail}`,
      timedOut ? 'upstream_timeout' : 'upstream_unreachable',
    );
  }
  if (reason !== 'timeout') {
    return new GatewayError(502, 'Could not reach Gemini on any tried key', 'upstream_unreachable');
  }
  const message =
    deadlineMs === null
      ? 'Gemini did not answer in time on any tried key'
      : `Gemini did not answer within the request deadline (request_deadline_ms = ${deadlineMs}; ${tries})`;
  return new GatewayError(504, message, 'upstream_timeout');
}

export class Proxy {
  constructor(private readonly deps: ProxyDeps) {}

  /**
   * Runs the attempt loop and returns the client's reply. `request_deadline_ms` bounds the whole
   * loop: no attempt starts after it, and the last one is cut short to end with it. When Gemini
   * could not be reached at all, the retry keeps the key: the path is the same for every key.
   */
  async forward(plan: ForwardPlan): Promise<Reply> {
    const { service, clock } = this.deps;
    const config = service.config;
    const started = clock.now();
    const deadline = started + config.requestDeadlineMs;
    const tried = new Set<number>();
    // A streamed body (an upload) can be sent once only.
    const maxAttempts = plan.body && !(plan.body instanceof Uint8Array) ? 1 : 1 + config.maxRetries;
    let lastFailure: Failure | null = null;
    let attempt = 0;
    let sameKey: PoolKey | null = null;
    let pastDeadline = false;

    const finish = (reply: Reply, key: PoolKey | null, tokens: Tokens): Reply => {
      this.logRequest(plan, reply.status, attempt, key, tokens, started);
      const work = plan.onFinished();
      if (work) plan.defer(work);
      return reply;
    };

    while (attempt < maxAttempts) {
      if (plan.clientGone.reason !== null) break;
      const left = deadline - clock.now();
      if (left <= 0) {
        pastDeadline = true;
        break;
      }
      let key: PoolKey | null = sameKey;
      if (key === null) {
        const pick = this.pick(plan, tried);
        if (!pick.ok) {
          if (pick.reason === 'cooling') {
            return finish(coolingReply(plan, pick.retryAfterMs), null, NO_TOKENS);
          }
          break;
        }
        key = pick.key;
      }
      // Shared local limits: a key refused by storage is now marked full, so the next pick skips it.
      if (service.keyLimits.applies(plan.model) && !(await service.keyLimits.admit(key, plan.model))) {
        sameKey = null;
        continue;
      }
      tried.add(key.id);
      attempt += 1;
      service.pool.markUsed(key, plan.model);
      const cut = left < config.requestTimeoutMs;
      const result = await runAttempt(this.deps, plan, key, attempt, cut ? left : config.requestTimeoutMs);
      if (result.kind === 'response') return finish(result.reply, key, result.tokens);
      if (result.kind === 'streaming') {
        plan.defer(
          result.done.then((tokens) => {
            this.logRequest(plan, 200, attempt, key, tokens ?? NO_TOKENS, started);
            return plan.onFinished();
          }),
        );
        return result.reply;
      }
      lastFailure = result.failure;
      if (!isRetryable(result.failure.outcome)) {
        const f = result.failure;
        return finish(plan.dialect.upstreamErrorReply(f.status, f.google, [f.key.apiKey]), key, NO_TOKENS);
      }
      const outcome = result.failure.outcome;
      // An attempt the deadline cut short ends with it (timers do not agree with the clock to the ms).
      if (cut && outcome.kind === 'upstream-fault' && outcome.reason === 'timeout') {
        pastDeadline = true;
        break;
      }
      sameKey = isConnectFailure(outcome) ? key : null;
    }
    const deadlineMs = pastDeadline ? config.requestDeadlineMs : null;
    return finish(
      this.exhausted(plan, lastFailure, attempt, deadlineMs),
      lastFailure?.key ?? null,
      NO_TOKENS,
    );
  }

  /** The owner of the resources named (outside the rotation), else the preferred key, else the strategy's. */
  private pick(plan: ForwardPlan, tried: ReadonlySet<number>): PickResult {
    const pool = this.deps.service.pool;
    if (plan.owner) return pool.pickOwner(plan.owner, plan.model, tried);
    if (plan.preferKeyId !== undefined && !tried.has(plan.preferKeyId)) {
      const preferred = pool.get(plan.preferKeyId);
      if (
        preferred &&
        inKeyGroup(preferred, plan.keyGroup) &&
        pool.isUsable(preferred, plan.model, this.deps.clock.now())
      )
        return { ok: true, key: preferred };
    }
    return pool.pick(plan.model, tried, plan.keyGroup);
  }

  private exhausted(
    plan: ForwardPlan,
    last: Failure | null,
    attempts: number,
    deadlineMs: number | null,
  ): Reply {
    if (plan.clientGone.reason !== null) {
      return plan.dialect.errorReply(new GatewayError(499, 'Client closed the request', 'client_closed'));
    }
    if (last && last.outcome.kind === 'upstream-fault') {
      if (last.status === 0) {
        return plan.dialect.errorReply(transportError(last.outcome, attempts, deadlineMs));
      }
      return plan.dialect.upstreamErrorReply(last.status, last.google, [last.key.apiKey]);
    }
    // Only ask for a pick when nothing is usable: a successful pick would advance round-robin's cursor.
    const pool = this.deps.service.pool;
    const cooling = plan.owner
      ? pool.pickOwner(plan.owner, plan.model)
      : pool.hasUsable(plan.model, plan.keyGroup)
        ? null
        : pool.pick(plan.model, undefined, plan.keyGroup);
    if (cooling && !cooling.ok && cooling.reason === 'cooling')
      return coolingReply(plan, cooling.retryAfterMs);
    if (last && last.outcome.kind === 'rate-limited') {
      // The retry budget ran out on rate-limited keys; other keys may still be usable, so this is
      // a 429 to retry later, not a missing key.
      const reply = plan.dialect.upstreamErrorReply(429, last.google, [last.key.apiKey]);
      const delayMs = last.outcome.retryDelayMs ?? this.deps.service.config.defaultCooldownMs;
      reply.headers['retry-after'] = String(Math.max(1, Math.ceil(delayMs / 1000)));
      return reply;
    }
    const detail = last ? ` (last key error: ${describe(last.outcome, last.google, last.key)})` : '';
    return plan.dialect.errorReply(
      new GatewayError(503, `No usable API key is available${detail}`, 'no_usable_key'),
    );
  }

  private logRequest(
    plan: ForwardPlan,
    status: number,
    attempts: number,
    key: PoolKey | null,
    tokens: Tokens,
    started: number,
  ): void {
    if (!this.deps.logRequests) return;
    this.deps.logger({
      event: 'request',
      route: plan.endpoint,
      model: plan.model,
      key_id: key?.id ?? null,
      key: key ? maskKey(key.apiKey) : null,
      attempts,
      status,
      latency_ms: this.deps.clock.now() - started,
      tokens: tokens.total,
    });
  }
}
