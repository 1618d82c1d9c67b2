/**
 * No connection to the upstream could be made: its name did not resolve, the connection was
 * refused or never completed, TLS failed, or an outbound proxy would not open a tunnel. No request
 * reached Gemini, and the network path is the same for every key, so another key cannot help.
 * Adapters build the message from error codes and statuses, never from URLs, so it carries no
 * secret (proxy credentials live in the proxy URL).
 */
export class UpstreamConnectError extends Error {
  override readonly name = 'UpstreamConnectError';
  /** Deliberately not a code undici treats as recoverable: it fails queued requests instead of reconnecting. */
  readonly code = 'UPSTREAM_CONNECT_FAILED';

  constructor(
    message: string,
    /** The connection did not complete within the connect timeout. */
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}
