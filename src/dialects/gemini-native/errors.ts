/**
 * Google's error envelope `{"error":{code,message,status,details}}`, for the native `/v1beta` routes.
 * https://ai.google.dev/gemini-api/docs/troubleshooting
 */
import type { GoogleError } from '../../core/health/classify.js';
import { redactSecrets } from '../../core/keys/redact.js';
import { gatewayErrorHeaders, type GatewayError } from '../../forward/gateway-error.js';
import { jsonReply, type Reply } from '../../forward/reply.js';

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

export function geminiGatewayErrorReply(err: GatewayError): Reply {
  const body = geminiErrorBody(err.status, err.message);
  // Google's own 429 carries its delay only here, and Google's clients (Gemini CLI) wait by it.
  if (err.options.retryAfterSeconds !== undefined) {
    body.error.details = [{ '@type': RETRY_INFO, retryDelay: `${err.options.retryAfterSeconds}s` }];
  }
  return jsonReply(err.status, body, gatewayErrorHeaders(err));
}

/** Google's own envelope, redacted; a body that was not one gets a fresh envelope. */
export function geminiUpstreamErrorReply(
  status: number,
  google: GoogleError | null,
  knownKeys: Iterable<string>,
): Reply {
  const message = redactSecrets(google?.message ?? `Upstream answered HTTP ${status}`, knownKeys);
  const body = google
    ? { error: { ...google, message, details: redactDetails(google.details, knownKeys) } }
    : geminiErrorBody(status, message);
  return jsonReply(status, body);
}

function redactDetails(details: unknown[], knownKeys: Iterable<string>): unknown[] {
  if (details.length === 0) return details;
  return JSON.parse(redactSecrets(JSON.stringify(details), knownKeys)) as unknown[];
}
