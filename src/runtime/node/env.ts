/** The Node runtime's environment variables, validated once at start. */
import { checkPostgresUrl, isPostgresUrl, redactDatabaseUrl } from '../../storage/postgres/database-url.js';

/** The outbound proxy for upstream requests, from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (either case). */
export interface OutboundProxy {
  /** Proxy for `http:` upstreams; '' for none. */
  httpProxy: string;
  /** Proxy for `https:` upstreams (Google); '' falls back to `httpProxy`. */
  httpsProxy: string;
  /** Comma- or space-separated hosts (optionally `:port`, `.suffix` or `*`) reached directly. */
  noProxy: string;
}

export interface NodeSettings {
  port: number;
  host: string;
  databasePath: string;
  /** A PostgreSQL URL from `DATABASE_URL`; null keeps the SQLite file at `databasePath`. */
  databaseUrl: string | null;
  upstreamBaseUrl: string;
  adminToken: string | undefined;
  accessTokens: string | undefined;
  geminiApiKeys: string | undefined;
  encryptionKey: string | undefined;
  metricsToken: string | undefined;
  flushIntervalMs: number;
  flushBatchRows: number;
  /** Usage rows kept in memory while the database fails. */
  maxBufferedUsageRows: number;
  /** How often maintenance runs, once across every gateway sharing the database. */
  maintenanceIntervalMs: number;
  shutdownTimeoutMs: number;
  logRequests: boolean;
  /** Largest accepted request body, from `MAX_BODY_MB` (mebibytes). */
  maxBodyBytes: number;
  /** The sign-in throttle reads the client address from X-Forwarded-For (behind a reverse proxy). */
  trustProxy: boolean;
  /** The gateway's public base URL for the upload URLs it hands out; null: from each request. */
  publicBaseUrl: string | null;
  /** Largest Files API upload, in bytes. */
  maxUploadBytes: number;
  /** null when neither HTTPS_PROXY nor HTTP_PROXY is set. */
  proxy: OutboundProxy | null;
  /** Limit for opening one upstream connection: DNS, TCP, proxy tunnel and TLS. */
  upstreamConnectTimeoutMs: number;
}

export class SettingsError extends Error {}

const MIB = 1024 * 1024;
/**
 * Google takes up to 100 MB of inline data (already base64, so a third larger than the files) in
 * one request; the gateway takes as much, so nothing Google would accept is refused here.
 */
const NODE_MAX_BODY_MB = 100;
const MAX_BODY_MB_LIMIT = 1024;

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingsError(
      `${name} must be a whole number between ${min} and ${max}, got "${raw.slice(0, 40)}"`,
    );
  }
  return n;
}

function urlVar(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`${name} must be an http(s) URL, got "${raw.slice(0, 80)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingsError(`${name} must be an http(s) URL, got "${raw.slice(0, 80)}"`);
  }
  return raw.replace(/\/+$/, '');
}

const optional = (value: string | undefined): string | undefined => (value?.trim() ? value : undefined);

const PROXY_PROTOCOLS = new Set(['http:', 'https:', 'socks:', 'socks5:']);

/** A proxy URL from `lower` or `UPPER` (lower-case first, as curl and undici read them). Never echoes credentials. */
function proxyVar(env: NodeJS.ProcessEnv, name: string): string {
  const raw = (env[name.toLowerCase()] || env[name] || '').trim();
  if (raw === '') return '';
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || !PROXY_PROTOCOLS.has(url.protocol)) {
    throw new SettingsError(
      `${name} must be a proxy URL such as http://127.0.0.1:7890 or socks5://127.0.0.1:1080`,
    );
  }
  return raw;
}

function readProxy(env: NodeJS.ProcessEnv): OutboundProxy | null {
  const httpProxy = proxyVar(env, 'HTTP_PROXY');
  const httpsProxy = proxyVar(env, 'HTTPS_PROXY');
  if (httpProxy === '' && httpsProxy === '') return null;
  return { httpProxy, httpsProxy, noProxy: (env.no_proxy ?? env.NO_PROXY ?? '').trim() };
}

/**
 * The database from `DATABASE_URL`: `postgres://…`/`postgresql://…` selects PostgreSQL;
 * `sqlite:<path>` (or unset) the SQLite file, `DATABASE_PATH` being the unset case's path.
 * Errors never show the URL's password.
 */
export function readDatabase(env: NodeJS.ProcessEnv): Pick<NodeSettings, 'databasePath' | 'databaseUrl'> {
  const path = env.DATABASE_PATH?.trim() || './data/pool.sqlite';
  const raw = env.DATABASE_URL?.trim() ?? '';
  if (raw === '') return { databasePath: path, databaseUrl: null };
  if (/^sqlite:/i.test(raw)) {
    const file = raw.replace(/^sqlite:(\/\/)?/i, '');
    if (file === '') throw new SettingsError('DATABASE_URL sqlite:<path> names no file');
    return { databasePath: file, databaseUrl: null };
  }
  if (!isPostgresUrl(raw)) {
    throw new SettingsError(
      `DATABASE_URL must be postgres://…, postgresql://… or sqlite:<path>, got ${redactDatabaseUrl(raw)}`,
    );
  }
  try {
    checkPostgresUrl(raw);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  return { databasePath: path, databaseUrl: raw };
}

export function readNodeSettings(env: NodeJS.ProcessEnv): NodeSettings {
  return {
    port: intVar(env, 'PORT', 8787, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    ...readDatabase(env),
    upstreamBaseUrl: urlVar(env, 'UPSTREAM_BASE_URL', 'https://generativelanguage.googleapis.com'),
    adminToken: optional(env.ADMIN_TOKEN),
    accessTokens: optional(env.ACCESS_TOKENS),
    geminiApiKeys: optional(env.GEMINI_API_KEYS),
    encryptionKey: optional(env.ENCRYPTION_KEY),
    metricsToken: optional(env.METRICS_TOKEN),
    flushIntervalMs: intVar(env, 'FLUSH_INTERVAL_MS', 1000, 10, 60_000),
    flushBatchRows: intVar(env, 'FLUSH_BATCH_ROWS', 500, 1, 1_000_000),
    maxBufferedUsageRows: intVar(env, 'MAX_BUFFERED_USAGE_ROWS', 100_000, 0, 10_000_000),
    maintenanceIntervalMs: intVar(env, 'MAINTENANCE_INTERVAL_MS', 60_000, 1000, 86_400_000),
    shutdownTimeoutMs: intVar(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    logRequests: env.LOG_REQUESTS === '1' || env.LOG_REQUESTS === 'true',
    maxBodyBytes: intVar(env, 'MAX_BODY_MB', NODE_MAX_BODY_MB, 1, MAX_BODY_MB_LIMIT) * MIB,
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
    publicBaseUrl: env.PUBLIC_BASE_URL?.trim() ? urlVar(env, 'PUBLIC_BASE_URL', '') : null,
    maxUploadBytes: intVar(env, 'MAX_UPLOAD_BYTES', 2 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    proxy: readProxy(env),
    upstreamConnectTimeoutMs: intVar(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
