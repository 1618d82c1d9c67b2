/** The error the gateway itself raises, with everything each dialect needs to render it. */
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

/** The `retry-after` and `allow` headers a gateway error carries, whatever its body's shape. */
export function gatewayErrorHeaders(err: GatewayError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (err.options.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(err.options.retryAfterSeconds);
  if (err.options.allow) headers.allow = err.options.allow.join(', ');
  return headers;
}
