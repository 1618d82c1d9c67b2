/**
 * Error bodies in the two shapes clients understand: OpenAI's for `/v1` and `/admin`, Google's for
 * the native `/v1beta` routes. Upstream text is always redacted before it reaches a client.
 * OpenAI: https://platform.openai.com/docs/guides/error-codes — Google: https://ai.google.dev/gemini-api/docs/troubleshooting
 */
import type { GoogleError } from '../core/health/classify.js';
import { redactSecrets } from '../core/keys/redact.js';
import { jsonReply, toResponse, type Reply } from '../forward/reply.js';

export type Dialect = 'openai' | 'gemini';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null; details?: unknown };
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'timeout_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  408: 'DEADLINE_EXCEEDED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

function openaiType(status: number): string {
  return OPENAI_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** An error the gateway itself raises; carries everything both shapes need. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly options: {
      param?: string;
      details?: unknown;
      retryAfterSeconds?: number;
      allow?: string[];
    } = {},
  ) {
    super(message);
  }
}

export function openaiErrorBody(
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
  details?: unknown,
): OpenAIErrorBody {
  const error: OpenAIErrorBody['error'] = { message, type: openaiType(status), code, param };
  if (details !== undefined) error.details = details;
  return { error };
}

export function geminiErrorBody(
  status: number,
  message: string,
  googleStatus?: string,
): { error: GoogleError } {
  return {
    error: {
      code: status,
      message,
      status: googleStatus ?? GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT'),
      details: [],
    },
  };
}

/** Renders a gateway error in the route's dialect. */
export function gatewayErrorReply(dialect: Dialect, err: GatewayError): Reply {
  const headers: Record<string, string> = {};
  if (err.options.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(err.options.retryAfterSeconds);
  if (err.options.allow) headers.allow = err.options.allow.join(', ');
  if (dialect === 'openai') {
    const { param, details } = err.options;
    return jsonReply(
      err.status,
      openaiErrorBody(err.status, err.message, err.code, param ?? null, details),
      headers,
    );
  }
  const body = geminiErrorBody(err.status, err.message);
  // Google's own 429 carries its delay only here, and Google's clients (Gemini CLI) wait by it.
  if (err.options.retryAfterSeconds !== undefined) {
    body.error.details = [{ '@type': RETRY_INFO, retryDelay: `${err.options.retryAfterSeconds}s` }];
  }
  return jsonReply(err.status, body, headers);
}

export function gatewayErrorResponse(dialect: Dialect, err: GatewayError): Response {
  return toResponse(gatewayErrorReply(dialect, err));
}

/**
 * Turns an upstream error into the client's dialect: OpenAI's shape for `/v1` (never Google's
 * array-wrapped body), Google's own envelope for native routes. Messages are redacted.
 */
export function upstreamErrorReply(
  dialect: Dialect,
  status: number,
  google: GoogleError | null,
  knownKeys: Iterable<string>,
): Reply {
  const message = redactSecrets(google?.message ?? `Upstream answered HTTP ${status}`, knownKeys);
  if (dialect === 'openai') {
    const code = google?.status ? google.status.toLowerCase() : null;
    return jsonReply(status, openaiErrorBody(status, message, code));
  }
  const body = google
    ? { error: { ...google, message, details: redactDetails(google.details, knownKeys) } }
    : geminiErrorBody(status, message);
  return jsonReply(status, body);
}

function redactDetails(details: unknown[], knownKeys: Iterable<string>): unknown[] {
  if (details.length === 0) return details;
  return JSON.parse(redactSecrets(JSON.stringify(details), knownKeys)) as unknown[];
}
