/**
 * Upstream response → outcome. Classification reads structure only (HTTP status, `error.status`,
 * `ErrorInfo.reason`, `QuotaFailure.violations[].quotaId`, `RetryInfo.retryDelay`), never message
 * text, which Google rewords often. The contract is the table at the end of gemini-wire.md.
 * Error model: https://cloud.google.com/apis/design/errors#error_details
 */
import { UpstreamConnectError } from '../upstream-connect-error.js';
import { normalizeModel } from './model.js';

export interface GoogleError {
  code: number;
  message: string;
  status: string;
  details: unknown[];
}

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'key-fatal'; reason: string; project?: string }
  | {
      kind: 'rate-limited';
      model: string;
      scope: 'per_minute' | 'per_day' | 'default';
      retryDelayMs?: number;
    }
  | { kind: 'key-error'; status: number; reason: string; project?: string }
  | {
      kind: 'upstream-fault';
      status: number;
      reason: string;
      /** What exactly failed, when the upstream could not be reached (`reason` `connect` or `connect_timeout`). */
      detail?: string;
    }
  | { kind: 'client-fault'; status: number };

/**
 * `ErrorInfo.reason` values that mean this key (or its project) cannot serve any request, so the
 * key is disabled at once. They come with 400, 401 or 403:
 * - the key itself: invalid, expired, or restricted so that this gateway may not use it
 *   (service, API, referrer, IP or app restrictions);
 * - its project: suspended, deleted (`CONSUMER_INVALID`), or the Generative Language API not enabled.
 * `BILLING_DISABLED` is left out on purpose: it can concern one paid model only.
 */
export const KEY_FATAL_REASONS: ReadonlySet<string> = new Set([
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_API_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_IP_ADDRESS_BLOCKED',
  'API_KEY_ANDROID_APP_BLOCKED',
  'API_KEY_IOS_APP_BLOCKED',
  'CONSUMER_SUSPENDED',
  'CONSUMER_INVALID',
  'SERVICE_DISABLED',
]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Unwraps `{error}` or the OpenAI-compat endpoint's `[{error}]`; null if the body is not a Google error. */
export function parseGoogleError(body: unknown): GoogleError | null {
  const envelope = Array.isArray(body) ? body[0] : body;
  if (!isObject(envelope) || !isObject(envelope.error)) return null;
  const e = envelope.error;
  if (typeof e.code !== 'number' && typeof e.status !== 'string') return null;
  return {
    code: typeof e.code === 'number' ? e.code : 0,
    message: typeof e.message === 'string' ? e.message : '',
    status: typeof e.status === 'string' ? e.status : '',
    details: Array.isArray(e.details) ? e.details : [],
  };
}

function detailsOfType(err: GoogleError | null, type: string): Json[] {
  if (!err) return [];
  return err.details.filter(
    (d): d is Json =>
      isObject(d) && typeof d['@type'] === 'string' && d['@type'].endsWith(`google.rpc.${type}`),
  );
}

function errorInfo(err: GoogleError | null): { reason: string | null; project?: string } {
  const info = detailsOfType(err, 'ErrorInfo').find((d) => typeof d.reason === 'string');
  if (!info) return { reason: null };
  const consumer = isObject(info.metadata) ? info.metadata.consumer : undefined;
  const project = typeof consumer === 'string' ? /^projects\/([^/]+)$/.exec(consumer)?.[1] : undefined;
  return project ? { reason: info.reason as string, project } : { reason: info.reason as string };
}

/** The longest retry delay believed: a day, as long as any Gemini quota window. */
export const MAX_RETRY_DELAY_MS = 86_400_000;

/**
 * Parses a protobuf Duration as JSON renders it (`"58s"`, `"1.5s"`), tolerating `"500ms"` and the
 * `{seconds, nanos}` object form. Returns milliseconds within 0..MAX_RETRY_DELAY_MS, or undefined
 * when absent or malformed; an absurd delay must not park a key forever.
 */
export function parseRetryDelay(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(value);
    if (m) ms = m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
  } else if (isObject(value)) {
    ms = Number(value.seconds ?? 0) * 1000 + Number(value.nanos ?? 0) / 1e6;
  }
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(0, Math.ceil(ms)));
}

function rateLimit(err: GoogleError | null, requestModel: string | null): Outcome {
  const violations = detailsOfType(err, 'QuotaFailure').flatMap((d) =>
    Array.isArray(d.violations) ? d.violations.filter(isObject) : [],
  );
  let model: string | undefined;
  let scope: 'per_minute' | 'per_day' | 'default' = 'default';
  for (const v of violations) {
    const dims = isObject(v.quotaDimensions) ? v.quotaDimensions : undefined;
    if (model === undefined && typeof dims?.model === 'string' && dims.model !== '') model = dims.model;
    const id = typeof v.quotaId === 'string' ? v.quotaId : '';
    // A per-day violation outlasts a per-minute one, so it decides the scope.
    if (id.includes('PerDay')) scope = 'per_day';
    else if (id.includes('PerMinute') && scope === 'default') scope = 'per_minute';
  }
  const retry = detailsOfType(err, 'RetryInfo')
    .map((d) => parseRetryDelay(d.retryDelay))
    .find((ms) => ms !== undefined);
  const outcome: Outcome = {
    kind: 'rate-limited',
    model: normalizeModel(model ?? requestModel ?? '*'),
    scope,
  };
  if (retry !== undefined) outcome.retryDelayMs = retry;
  return outcome;
}

/** status + parsed JSON body (or undefined) → outcome. Structure only, never message text. */
export function classifyResponse(status: number, body: unknown, requestModel: string | null): Outcome {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const err = parseGoogleError(body);
  if (status === 429) return rateLimit(err, requestModel);
  if (status >= 500 || status === 408) {
    return { kind: 'upstream-fault', status, reason: err?.status || `HTTP_${status}` };
  }
  const info = errorInfo(err);
  if (
    (status === 400 || status === 401 || status === 403) &&
    info.reason &&
    KEY_FATAL_REASONS.has(info.reason)
  ) {
    return info.project
      ? { kind: 'key-fatal', reason: info.reason, project: info.project }
      : { kind: 'key-fatal', reason: info.reason };
  }
  if (status === 401 || status === 403) {
    const reason = info.reason ?? (err?.status || `HTTP_${status}`);
    return info.project
      ? { kind: 'key-error', status, reason, project: info.project }
      : { kind: 'key-error', status, reason };
  }
  return { kind: 'client-fault', status };
}

/**
 * A thrown transport error or abort → upstream-fault (status 0) with reason `connect` or
 * `connect_timeout` when no connection could be made (see `isConnectFailure`), else `timeout` or
 * `connection`.
 */
export function classifyTransportError(err: unknown): Outcome {
  if (err instanceof UpstreamConnectError) {
    const reason = err.timedOut ? 'connect_timeout' : 'connect';
    return { kind: 'upstream-fault', status: 0, reason, detail: err.message };
  }
  return { kind: 'upstream-fault', status: 0, reason: isTimeout(err) ? 'timeout' : 'connection' };
}

/** The upstream could not be reached at all: the same for every key, so retrying on another one cannot help. */
export function isConnectFailure(outcome: Outcome): boolean {
  return (
    outcome.kind === 'upstream-fault' &&
    (outcome.reason === 'connect' || outcome.reason === 'connect_timeout')
  );
}

const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError']);
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'ABORT_ERR',
]);

function isTimeout(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const e = err as { name?: unknown; code?: unknown; cause?: unknown };
  if (typeof e.name === 'string' && TIMEOUT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TIMEOUT_CODES.has(e.code)) return true;
  return isTimeout(e.cause, depth + 1);
}
