/**
 * One upstream attempt with one key: send, bound it in time, then either hand back the client's
 * response (a buffered body, or a stream bridged chunk by chunk) or a classified failure.
 */
import {
  classifyResponse,
  classifyTransportError,
  parseGoogleError,
  type Outcome,
} from '../core/health/classify.js';
import { CancelSource } from '../core/cancel.js';
import { NO_TOKENS, type PoolService } from '../core/pool-service.js';
import type { Clock, Upstream, UpstreamResponse } from '../core/ports.js';
import type { PoolKey, Tokens } from '../core/types.js';
import { framedAsJsonObject } from '../core/usage/usage-scan.js';
import {
  describe,
  keyHeaders,
  usageOf,
  type AttemptResult,
  type Failure,
  type ForwardPlan,
} from './forward-plan.js';
import { JSON_CONTENT_TYPE, type Reply } from './reply.js';
import { resourceOutcome } from './resource-exchange.js';
import type { StreamProblem } from '../core/usage/openai-stream-tap.js';
import { looksLikeStreamStart, StreamRelay } from './stream-relay.js';

const decoder = new TextDecoder();

export interface AttemptDeps {
  service: PoolService;
  upstream: Upstream;
  upstreamBaseUrl: string;
  clock: Clock;
}

function tryParseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

/** One attempt, bounded by `timeoutMs`: `request_timeout_ms`, or less when the request's deadline is nearer. */
export async function runAttempt(
  deps: AttemptDeps,
  plan: ForwardPlan,
  key: PoolKey,
  attempt: number,
  timeoutMs: number,
): Promise<AttemptResult> {
  const { service, clock } = deps;
  const config = service.config;
  const t0 = clock.now();
  const cancel = new CancelSource();
  plan.clientGone.onCancel(() => cancel.cancel(new Error('client closed the request')));
  const timer = setTimeout(() => cancel.cancel(new TimeoutError()), timeoutMs);
  const cleanup = () => clearTimeout(timer);
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
  const transportFailure = (err: unknown): { kind: 'failure'; failure: Failure } => {
    cleanup();
    if (plan.clientGone.reason) {
      report({ kind: 'client-abort' }, 499, NO_TOKENS, 'client closed the request');
      return {
        kind: 'failure',
        failure: { status: 499, outcome: { kind: 'client-fault', status: 499 }, google: null, key },
      };
    }
    const outcome = classifyTransportError(cancel.reason instanceof TimeoutError ? cancel.reason : err);
    report(outcome, 0, NO_TOKENS, describe(outcome, null, key));
    return { kind: 'failure', failure: { status: 0, outcome, google: null, key } };
  };

  let res: UpstreamResponse;
  try {
    res = await deps.upstream.request({
      method: plan.method,
      url: deps.upstreamBaseUrl + plan.path,
      headers: plan.exchange?.headers
        ? { ...plan.exchange.headers, ...keyHeaders(plan, key) }
        : keyHeaders(plan, key),
      body: plan.body,
      cancel,
    });
  } catch (err) {
    return transportFailure(err);
  }

  if (res.status >= 200 && res.status < 300 && plan.stream) {
    clearTimeout(timer);
    const relay = new StreamRelay({
      format: plan.stream,
      idleTimeoutMs: config.streamIdleTimeoutMs,
      onEnd: (end) => {
        cleanup();
        // A client that leaves also cancels the upstream, which can be heard first as an interruption.
        if (end.reason === 'client-abort' || plan.clientGone.reason) {
          report({ kind: 'client-abort' }, 499, end.tokens ?? NO_TOKENS, 'client closed the stream');
        } else if (end.reason === 'complete') {
          const { outcome, google } = completedStreamOutcome(end.problem, res.status, plan.model);
          report(outcome, res.status, end.tokens ?? NO_TOKENS, describe(outcome, google, key));
        } else {
          const outcome: Outcome = { kind: 'upstream-fault', status: res.status, reason: end.reason };
          report(outcome, res.status, end.tokens ?? NO_TOKENS, `stream ${end.reason}`);
        }
      },
    });
    let first: Uint8Array | null;
    try {
      first = await relay.start(res);
    } catch (err) {
      relay.abandon(err instanceof Error ? err : new Error(String(err)));
      if (plan.clientGone.reason) return transportFailure(err);
      return streamFault(res.status, 'stream_failed', key, report, cleanup);
    }
    if (first === null || !looksLikeStreamStart(plan.stream.upstreamFraming, first)) {
      relay.abandon(new Error('upstream stream refused'));
      return streamFault(res.status, first === null ? 'empty_body' : 'invalid_body', key, report, cleanup);
    }
    const reply: Reply = {
      status: res.status,
      headers: {
        'content-type': res.headers['content-type'] ?? 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        // Tells a Node adapter to send headers at once instead of buffering the first chunks.
        'transfer-encoding': 'chunked',
      },
      body: relay,
    };
    return { kind: 'streaming', reply, done: relay.done };
  }

  let bytes: Uint8Array;
  try {
    bytes = await res.bytes();
  } catch (err) {
    return transportFailure(err);
  }
  cleanup();

  if (res.status >= 200 && res.status < 300 && plan.exchange && plan.context) {
    report({ kind: 'ok' }, res.status, NO_TOKENS, null);
    const reply = await plan.exchange.answer(
      { status: res.status, headers: res.headers, body: bytes },
      key,
      plan.context,
    );
    return { kind: 'response', reply, tokens: NO_TOKENS };
  }

  if (res.status >= 200 && res.status < 300) {
    // Only a body that is rewritten is parsed whole; otherwise its framing is checked and its usage read.
    const json = plan.rewrite ? tryParseJson(bytes) : undefined;
    const valid = plan.rewrite ? typeof json === 'object' && json !== null : framedAsJsonObject(bytes);
    if (!valid) {
      const outcome: Outcome = {
        kind: 'upstream-fault',
        status: res.status,
        reason: bytes.byteLength ? 'invalid_body' : 'empty_body',
      };
      report(outcome, res.status, NO_TOKENS, describe(outcome, null, key));
      return { kind: 'failure', failure: { status: 502, outcome, google: null, key } };
    }
    const tokens = usageOf(plan, bytes);
    report({ kind: 'ok' }, res.status, tokens, null);
    const body = plan.rewrite ? JSON.stringify(plan.rewrite(json)) : bytes;
    const reply: Reply = { status: res.status, headers: { 'content-type': JSON_CONTENT_TYPE }, body };
    return { kind: 'response', reply, tokens };
  }

  const json = tryParseJson(bytes);
  const google = parseGoogleError(json);
  const outcome = resourceOutcome(
    classifyResponse(res.status, json, plan.model),
    res.status,
    (plan.resources?.length ?? 0) > 0,
  );
  report(outcome, res.status, NO_TOKENS, describe(outcome, google, key));
  return { kind: 'failure', failure: { status: res.status, outcome, google, key } };
}

/**
 * How a stream that ended cleanly went: ok, or what the error event inside it says (a quota error
 * cools the key like a 429 would), or an upstream fault when it stopped short of `[DONE]`.
 */
export function completedStreamOutcome(
  problem: StreamProblem | undefined,
  status: number,
  model: string | null,
): { outcome: Outcome; google: Failure['google'] } {
  if (problem === undefined) return { outcome: { kind: 'ok' }, google: null };
  if (problem === 'unterminated') {
    return { outcome: { kind: 'upstream-fault', status, reason: 'unterminated' }, google: null };
  }
  const body = { error: problem.error };
  const google = parseGoogleError(body);
  const code = google && google.code >= 400 ? google.code : 500;
  return { outcome: classifyResponse(code, body, model), google };
}

function streamFault(
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

class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor() {
    super('upstream attempt timed out');
  }
}
