/**
 * The attempt loop every proxied request goes through: pick a key → forward → classify → retry
 * on another key, never after the first byte has been sent to the client.
 */
import {
  classifyResponse,
  classifyTransportError,
  parseGoogleError,
  type Outcome,
} from '../core/health/classify.js';
import { maskKey } from '../core/keys/mask.js';
import { redactSecrets } from '../core/keys/redact.js';
import { NO_TOKENS, type PoolService } from '../core/pool-service.js';
import type { Clock, Logger, Upstream, UpstreamResponse } from '../core/ports.js';
import type { PoolKey, Tokens } from '../core/types.js';
import { geminiUsage, openaiUsage } from '../core/usage/tokens.js';
import { GatewayError, gatewayErrorResponse, upstreamErrorResponse, type Dialect } from './errors.js';
import { looksLikeStreamStart, pipeStream, readChunk, type StreamKind } from './stream-pipe.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export interface ProxyDeps {
  service: PoolService;
  upstream: Upstream;
  upstreamBaseUrl: string;
  clock: Clock;
  logger: Logger;
  logRequests: boolean;
}

/** One client request, as a route describes it to the proxy. */
export interface ForwardPlan {
  dialect: Dialect;
  /** Operation name recorded in usage, e.g. `chat.completions`. */
  endpoint: string;
  model: string | null;
  /** Upstream path and query, appended to the base URL. Never contains a key. */
  path: string;
  method: 'GET' | 'POST';
  body?: Uint8Array;
  /** Where the pooled key goes: `Authorization: Bearer` (OpenAI-compatible) or `x-goog-api-key` (native). */
  keyHeader: 'bearer' | 'goog';
  stream: StreamKind | null;
  usage: 'openai' | 'gemini' | 'none';
  /** Rewrites a successful JSON body before it is returned. */
  rewrite?: (json: unknown) => unknown;
  accessTokenId: number | null;
  clientSignal: AbortSignal;
  /** Keeps post-response work (stream end bookkeeping, per-request flush) alive. */
  defer: (work: Promise<unknown>) => void;
  /** Called once when the request is completely finished, streams included; returned work is deferred. */
  onFinished: () => Promise<void> | void;
}

interface Failure {
  status: number;
  outcome: Outcome;
  google: ReturnType<typeof parseGoogleError>;
  key: PoolKey;
}

/** 429 with `Retry-After`: every key that could serve the model is cooling down for it. */
function coolingResponse(plan: ForwardPlan, retryAfterMs: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const err = new GatewayError(
    429,
    `Every usable key is cooling down for model ${plan.model ?? '*'}; retry in ${seconds} s`,
    'all_keys_cooling',
    { retryAfterSeconds: seconds },
  );
  return gatewayErrorResponse(plan.dialect, err);
}

const isRetryable = (o: Outcome): boolean => o.kind !== 'ok' && o.kind !== 'client-fault';

function keyHeaders(plan: ForwardPlan, key: PoolKey): Record<string, string> {
  const headers: Record<string, string> = {
    accept: plan.stream ? 'text/event-stream, */*' : 'application/json',
  };
  if (plan.body) headers['content-type'] = 'application/json';
  if (plan.keyHeader === 'bearer') headers.authorization = `Bearer ${key.apiKey}`;
  else headers['x-goog-api-key'] = key.apiKey;
  return headers;
}

function usageOf(plan: ForwardPlan, json: unknown): Tokens {
  if (plan.usage === 'openai') return openaiUsage(json) ?? NO_TOKENS;
  if (plan.usage === 'gemini') return geminiUsage(json) ?? NO_TOKENS;
  return NO_TOKENS;
}

function describe(outcome: Outcome, google: Failure['google'], key: PoolKey): string | null {
  if (outcome.kind === 'ok') return null;
  const parts: string[] = [outcome.kind];
  if ('reason' in outcome) parts.push(outcome.reason);
  if (outcome.kind === 'rate-limited') parts.push(`${outcome.scope} ${outcome.model}`);
  if (google?.status) parts.push(google.status);
  return redactSecrets(parts.join(': '), [key.apiKey]).slice(0, 300);
}

function tryParseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

export class Proxy {
  constructor(private readonly deps: ProxyDeps) {}

  /** Runs the attempt loop and returns the client's response. */
  async forward(plan: ForwardPlan): Promise<Response> {
    const { service, clock } = this.deps;
    const started = clock.now();
    const tried = new Set<number>();
    const maxAttempts = 1 + service.config.maxRetries;
    let lastFailure: Failure | null = null;
    let attempt = 0;

    const finish = (response: Response, key: PoolKey | null, tokens: Tokens): Response => {
      this.logRequest(plan, response.status, attempt, key, tokens, started);
      const work = plan.onFinished();
      if (work) plan.defer(work);
      return response;
    };

    while (attempt < maxAttempts) {
      if (plan.clientSignal.aborted) break;
      const pick = service.pool.pick(plan.model, tried);
      if (!pick.ok) {
        if (pick.reason === 'cooling') {
          return finish(coolingResponse(plan, pick.retryAfterMs), null, NO_TOKENS);
        }
        break;
      }
      attempt += 1;
      const key = pick.key;
      tried.add(key.id);
      service.pool.markUsed(key, plan.model);
      const result = await this.attempt(plan, key, attempt);
      if (result.kind === 'response') return finish(result.response, key, result.tokens);
      if (result.kind === 'streaming') {
        plan.defer(
          result.done.then((tokens) => {
            this.logRequest(plan, 200, attempt, key, tokens ?? NO_TOKENS, started);
            return plan.onFinished();
          }),
        );
        return result.response;
      }
      lastFailure = result.failure;
      if (!isRetryable(result.failure.outcome)) {
        const f = result.failure;
        return finish(
          upstreamErrorResponse(plan.dialect, f.status, f.google, [f.key.apiKey]),
          key,
          NO_TOKENS,
        );
      }
    }
    return finish(this.exhausted(plan, lastFailure), lastFailure?.key ?? null, NO_TOKENS);
  }

  private exhausted(plan: ForwardPlan, last: Failure | null): Response {
    if (plan.clientSignal.aborted) {
      return gatewayErrorResponse(
        plan.dialect,
        new GatewayError(499, 'Client closed the request', 'client_closed'),
      );
    }
    if (last && last.outcome.kind === 'upstream-fault') {
      if (last.status === 0) {
        const timedOut = 'reason' in last.outcome && last.outcome.reason === 'timeout';
        const err = timedOut
          ? new GatewayError(504, 'Gemini did not answer in time on any tried key', 'upstream_timeout')
          : new GatewayError(502, 'Could not reach Gemini on any tried key', 'upstream_unreachable');
        return gatewayErrorResponse(plan.dialect, err);
      }
      return upstreamErrorResponse(plan.dialect, last.status, last.google, [last.key.apiKey]);
    }
    const cooling = this.deps.service.pool.pick(plan.model);
    if (!cooling.ok && cooling.reason === 'cooling') return coolingResponse(plan, cooling.retryAfterMs);
    if (last && last.outcome.kind === 'rate-limited') {
      // The retry budget ran out on rate-limited keys; other keys may still be usable, so this is
      // a 429 to retry later, not a missing key.
      const response = upstreamErrorResponse(plan.dialect, 429, last.google, [last.key.apiKey]);
      const delayMs = last.outcome.retryDelayMs ?? this.deps.service.config.defaultCooldownMs;
      response.headers.set('retry-after', String(Math.max(1, Math.ceil(delayMs / 1000))));
      return response;
    }
    const detail = last ? ` (last key error: ${describe(last.outcome, last.google, last.key)})` : '';
    return gatewayErrorResponse(
      plan.dialect,
      new GatewayError(503, `No usable API key is available${detail}`, 'no_usable_key'),
    );
  }

  private async attempt(
    plan: ForwardPlan,
    key: PoolKey,
    attempt: number,
  ): Promise<
    | { kind: 'response'; response: Response; tokens: Tokens }
    | { kind: 'streaming'; response: Response; done: Promise<Tokens | null> }
    | { kind: 'failure'; failure: Failure }
  > {
    const { service, clock } = this.deps;
    const config = service.config;
    const t0 = clock.now();
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(new Error('client closed the request'));
    plan.clientSignal.addEventListener('abort', onClientAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new TimeoutError()), config.requestTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      plan.clientSignal.removeEventListener('abort', onClientAbort);
    };
    const report = (
      outcome: Outcome | { kind: 'client-abort' },
      status: number,
      tokens: Tokens,
      error: string | null,
    ) =>
      service.report({
        key,
        outcome,
        endpoint: plan.endpoint,
        model: plan.model,
        status,
        tokens,
        latencyMs: clock.now() - t0,
        accessTokenId: plan.accessTokenId,
        attempt,
        error,
      });
    const transportFailure = (err: unknown): { kind: 'failure'; failure: Failure } | null => {
      cleanup();
      if (plan.clientSignal.aborted) {
        report({ kind: 'client-abort' }, 499, NO_TOKENS, 'client closed the request');
        return {
          kind: 'failure',
          failure: { status: 499, outcome: { kind: 'client-fault', status: 499 }, google: null, key },
        };
      }
      const outcome = classifyTransportError(
        controller.signal.reason instanceof TimeoutError ? controller.signal.reason : err,
      );
      report(outcome, 0, NO_TOKENS, describe(outcome, null, key));
      return { kind: 'failure', failure: { status: 0, outcome, google: null, key } };
    };

    let res: UpstreamResponse;
    try {
      res = await this.deps.upstream.request({
        method: plan.method,
        url: this.deps.upstreamBaseUrl + plan.path,
        headers: keyHeaders(plan, key),
        body: plan.body,
        signal: controller.signal,
      });
    } catch (err) {
      return transportFailure(err)!;
    }

    if (res.status >= 200 && res.status < 300 && plan.stream) {
      clearTimeout(timer);
      const reader = res.stream().getReader();
      let first: Uint8Array | null;
      try {
        first = await readChunk(reader, config.streamIdleTimeoutMs);
      } catch (err) {
        void reader.cancel().catch(() => undefined);
        if (plan.clientSignal.aborted) return transportFailure(err)!;
        return this.streamFault(res.status, 'stream_failed', key, report, cleanup);
      }
      if (first === null) return this.streamFault(res.status, 'empty_body', key, report, cleanup);
      if (!looksLikeStreamStart(plan.stream, first)) {
        void reader.cancel().catch(() => undefined);
        return this.streamFault(res.status, 'invalid_body', key, report, cleanup);
      }
      const piped = pipeStream({
        kind: plan.stream,
        first,
        reader,
        idleTimeoutMs: config.streamIdleTimeoutMs,
        onEnd: (end) => {
          cleanup();
          if (end.reason === 'client-abort') {
            report({ kind: 'client-abort' }, 499, end.tokens ?? NO_TOKENS, 'client closed the stream');
          } else if (end.reason === 'complete') {
            report({ kind: 'ok' }, res.status, end.tokens ?? NO_TOKENS, null);
          } else {
            const outcome: Outcome = { kind: 'upstream-fault', status: res.status, reason: end.reason };
            report(outcome, res.status, end.tokens ?? NO_TOKENS, `stream ${end.reason}`);
          }
        },
      });
      const response = new Response(piped.body, {
        status: res.status,
        headers: {
          'content-type': res.headers['content-type'] ?? 'text/event-stream',
          'cache-control': 'no-cache',
          'x-accel-buffering': 'no',
          // Tells the Node adapter to send headers at once instead of buffering the first chunks.
          'transfer-encoding': 'chunked',
        },
      });
      return { kind: 'streaming', response, done: piped.done };
    }

    let bytes: Uint8Array;
    try {
      bytes = await res.bytes();
    } catch (err) {
      return transportFailure(err)!;
    }
    cleanup();
    const json = tryParseJson(bytes);

    if (res.status >= 200 && res.status < 300) {
      if (json === undefined || json === null || typeof json !== 'object') {
        const outcome: Outcome = {
          kind: 'upstream-fault',
          status: res.status,
          reason: bytes.byteLength ? 'invalid_body' : 'empty_body',
        };
        report(outcome, res.status, NO_TOKENS, describe(outcome, null, key));
        return { kind: 'failure', failure: { status: 502, outcome, google: null, key } };
      }
      const tokens = usageOf(plan, json);
      report({ kind: 'ok' }, res.status, tokens, null);
      const body = plan.rewrite ? JSON.stringify(plan.rewrite(json)) : (bytes as Uint8Array<ArrayBuffer>);
      const response = new Response(body, { status: res.status, headers: JSON_HEADERS });
      return { kind: 'response', response, tokens };
    }

    const google = parseGoogleError(json);
    const outcome = classifyResponse(res.status, json, plan.model);
    report(outcome, res.status, NO_TOKENS, describe(outcome, google, key));
    return { kind: 'failure', failure: { status: res.status, outcome, google, key } };
  }

  private streamFault(
    status: number,
    reason: string,
    key: PoolKey,
    report: (outcome: Outcome, status: number, tokens: Tokens, error: string | null) => void,
    cleanup: () => void,
  ): { kind: 'failure'; failure: Failure } {
    cleanup();
    const outcome: Outcome = { kind: 'upstream-fault', status, reason };
    report(outcome, status, NO_TOKENS, describe(outcome, null, key));
    return { kind: 'failure', failure: { status: 502, outcome, google: null, key } };
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

class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor() {
    super('upstream attempt timed out');
  }
}
