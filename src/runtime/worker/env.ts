/**
 * The Worker's bindings. Secrets come from `wrangler secret put NAME` (or `.dev.vars` locally);
 * `UPSTREAM_BASE_URL` is a `[vars]` entry in wrangler.toml.
 */
export interface Env {
  /** D1 database `apikeys-pool`; the seed's binding name. */
  LOG: D1Database;
  /** The built admin panel (admin-ui/dist), from `[assets]` in wrangler.toml. */
  ASSETS?: Fetcher;
  /** Admin API and panel token. Without it the admin routes answer 503. */
  ADMIN_TOKEN?: string;
  /** Client access tokens, comma-separated; registered (hashed) at start-up. */
  ACCESS_TOKENS?: string;
  /** Gemini keys to import, one `key[,email[,project]]` per line or comma-separated. */
  GEMINI_API_KEYS?: string;
  /** Encrypts stored keys at rest (AES-GCM). */
  ENCRYPTION_KEY?: string;
  /** A separate token that may read `GET /metrics`. */
  METRICS_TOKEN?: string;
  /** Gemini's base URL, without a trailing slash. */
  UPSTREAM_BASE_URL?: string;
  /** Largest accepted request body in MiB (default 32; see README on Workers' memory and body limits). */
  MAX_BODY_MB?: string;
  /** The gateway's public base URL for the upload URLs it hands out; unset: the request's own. */
  PUBLIC_BASE_URL?: string;
  /** Largest Files API upload in bytes (default 2 GB); each request is still capped by the plan's body limit. */
  MAX_UPLOAD_BYTES?: string;
  /** One JSON log line per request (for `wrangler tail`) unless this is `0` or `false`. */
  LOG_REQUESTS?: string;
}
