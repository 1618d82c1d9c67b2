/**
 * The attempt loop every proxied request goes through: pick a key → forward → classify → retry
 * on another key, never after the first byte has been sent to the client.
 */
import type { Outcome } from '../core/health/classify.js';
import { maskKey } from '../core/keys/mask.js';
import { NO_TOKENS, type PoolService } from '../core/pool-service.js';
import type { Clock, Logger, Upstream } from '../core/ports.js';
import type { PoolKey, Tokens } from '../core/types.js';
import type { PickResult } from '../core/pool/pool.js';
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

export class Proxy {
  constructor(private readonly deps: ProxyDeps) {}

  /** Runs the attempt loop and returns the client's reply. */
  async forward(plan: ForwardPlan): Promise<Reply> {
    const { service, clock } = this.deps;
    const started = clock.now();
    const tried = new Set<number>();
    // A streamed body (an upload) can be sent once only.
    const maxAttempts = plan.body && !(plan.body instanceof Uint8Array) ? 1 : 1 + service.config.maxRetries;
    let lastFailure: Failure | null = null;
    let attempt = 0;

    const finish = (reply: Reply, key: PoolKey | null, tokens: Tokens): Reply => {
      this.logRequest(plan, reply.status, attempt, key, tokens, started);
      const work = plan.onFinished();
      if (work) plan.defer(work);
      return reply;
    };

    while (attempt < maxAttempts) {
      if (plan.clientGone.reason !== null) break;
      const pick = this.pick(plan, tried);
      if (!pick.ok) {
        if (pick.reason === 'cooling') {
          return finish(coolingReply(plan, pick.retryAfterMs), null, NO_TOKENS);
        }
        break;
      }
      attempt += 1;
      const key = pick.key;
      tried.add(key.id);
      service.pool.markUsed(key, plan.model);
      const result = await runAttempt(this.deps, plan, key, attempt);
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
    }
    return finish(this.exhausted(plan, lastFailure), lastFailure?.key ?? null, NO_TOKENS);
  }

  /** The owner of the resources named (outside the rotation), else the preferred key, else the strategy's. */
  private pick(plan: ForwardPlan, tried: ReadonlySet<number>): PickResult {
    const pool = this.deps.service.pool;
    if (plan.owner) return pool.pickOwner(plan.owner, plan.model, tried);
    if (plan.preferKeyId !== undefined && !tried.has(plan.preferKeyId)) {
      const preferred = pool.get(plan.preferKeyId);
      if (preferred && pool.isUsable(preferred, plan.model, this.deps.clock.now()))
        return { ok: true, key: preferred };
    }
    return pool.pick(plan.model, tried);
  }

  private exhausted(plan: ForwardPlan, last: Failure | null): Reply {
    if (plan.clientGone.reason !== null) {
      return plan.dialect.errorReply(new GatewayError(499, 'Client closed the request', 'client_closed'));
    }
    if (last && last.outcome.kind === 'upstream-fault') {
      if (last.status === 0) {
        const timedOut = 'reason' in last.outcome && last.outcome.reason === 'timeout';
        const err = timedOut
          ? new GatewayError(504, 'Gemini did not answer in time on any tried key', 'upstream_timeout')
          : new GatewayError(502, 'Could not reach Gemini on any tried key', 'upstream_unreachable');
        return plan.dialect.errorReply(err);
      }
      return plan.dialect.upstreamErrorReply(last.status, last.google, [last.key.apiKey]);
    }
    // Only ask for a pick when nothing is usable: a successful pick would advance round-robin's cursor.
    const pool = this.deps.service.pool;
    const cooling = plan.owner
      ? pool.pickOwner(plan.owner, plan.model)
      : pool.hasUsable(plan.model)
        ? null
        : pool.pick(plan.model);
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
