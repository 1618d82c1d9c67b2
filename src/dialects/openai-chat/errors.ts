/**
 * OpenAI's error shape, for the OpenAI-compatible routes and the admin API. Google's own errors
 * (array-wrapped on its OpenAI-compatible endpoint) are never passed through as they are: OpenAI
 * clients break on them. https://platform.openai.com/docs/guides/error-codes
 */
import type { GoogleError } from '../../core/health/classify.js';
import { redactSecrets } from '../../core/keys/redact.js';
import { gatewayErrorHeaders, type GatewayError } from '../../forward/gateway-error.js';
import { jsonReply, type Reply } from '../../forward/reply.js';

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

function openaiType(status: number): string {
  return OPENAI_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
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

export function openaiGatewayErrorReply(err: GatewayError): Reply {
  const { param, details } = err.options;
  return jsonReply(
    err.status,
    openaiErrorBody(err.status, err.message, err.code, param ?? null, details),
    gatewayErrorHeaders(err),
  );
}

export function openaiUpstreamErrorReply(
  status: number,
  google: GoogleError | null,
  knownKeys: Iterable<string>,
): Reply {
  const message = redactSecrets(google?.message ?? `Upstream answered HTTP ${status}`, knownKeys);
  const code = google?.status ? google.status.toLowerCase() : null;
  return jsonReply(status, openaiErrorBody(status, message, code));
}
