/**
 * Anthropic's error shape `{"type":"error","error":{"type","message"}}`, with its types by status.
 * https://docs.anthropic.com/en/api/errors
 */
import type { GoogleError } from '../../core/health/classify.js';
import { redactSecrets } from '../../core/keys/redact.js';
import { gatewayErrorHeaders, type GatewayError } from '../../forward/gateway-error.js';
import { jsonReply, type Reply } from '../../forward/reply.js';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function anthropicErrorBody(status: number, message: string) {
  return { type: 'error', error: { type: anthropicErrorType(status), message } };
}

export function anthropicGatewayErrorReply(err: GatewayError): Reply {
  return jsonReply(err.status, anthropicErrorBody(err.status, err.message), gatewayErrorHeaders(err));
}

export function anthropicUpstreamErrorReply(
  status: number,
  google: GoogleError | null,
  knownKeys: Iterable<string>,
): Reply {
  const message = redactSecrets(google?.message ?? `Upstream answered HTTP ${status}`, knownKeys);
  return jsonReply(status, anthropicErrorBody(status, message));
}
