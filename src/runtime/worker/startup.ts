/**
 * Builds one isolate's gateway from the Worker's bindings: D1 storage, the fetch upstream, the
 * admin token hash and the keys and access tokens given as secrets.
 */
import { createAesGcmCipher, plainCipher, sha256Hex } from '../../core/crypto.js';
import type { Clock, Logger, Storage } from '../../core/ports.js';
import { createGateway, type Gateway } from '../../gateway.js';
import { adminTokenHashFrom, importEnvAccessTokens, importEnvKeys } from '../../setup.js';
import { D1Driver } from '../../storage/d1/d1-driver.js';
import { createSqlStorage } from '../../storage/sql/sql-storage.js';
import { createFetchUpstream } from '../../upstream/fetch.js';
import type { Env } from './env.js';
import { workerPanelAssets } from './panel-assets.js';

export const DEFAULT_UPSTREAM_BASE_URL = 'https://generativelanguage.googleapis.com';
/**
 * An isolate has 128 MB of memory, and a request's body is held as bytes, as text and as parsed
 * JSON at once: about three times its size. Larger bodies would crash the isolate instead of
 * getting a 413, so the Worker's default is lower than Node's.
 */
export const WORKER_MAX_BODY_MB = 32;
const MAX_BODY_MB_LIMIT = 100;
const MIB = 1024 * 1024;

/** `MAX_BODY_MB` in bytes; a value that is not a whole number from 1 to 100 is logged and ignored. */
function maxBodyBytes(raw: string | undefined, logger: Logger): number {
  const text = raw?.trim() ?? '';
  const mb = Number(text);
  if (text !== '' && Number.isInteger(mb) && mb >= 1 && mb <= MAX_BODY_MB_LIMIT) return mb * MIB;
  if (text !== '')
    logger({ event: 'invalid_setting', name: 'MAX_BODY_MB', allowed: `1..${MAX_BODY_MB_LIMIT}` });
  return WORKER_MAX_BODY_MB * MIB;
}

/** A positive whole number from a binding, or undefined (the default) when unset or malformed. */
function positiveInt(raw: string | undefined): number | undefined {
  const n = Number(raw);
  return raw?.trim() && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export interface StartupDeps {
  database: (env: Env) => D1Database;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
}

/**
 * Runs `work` only when `value` differs from what was imported last time (its hash is kept in
 * `pool_meta`). New isolates start all the time on Workers: without this, each would re-add keys
 * an admin had deleted, and pay a D1 write per key on every cold start.
 */
async function importOnChange(
  storage: Storage,
  name: string,
  value: string | undefined,
  work: (value: string) => Promise<void>,
): Promise<void> {
  if (!value?.trim()) return;
  const metaKey = `env_import_sha256:${name}`;
  const hash = await sha256Hex(value);
  if ((await storage.meta.getMeta(metaKey)) === hash) return;
  await work(value);
  await storage.meta.setMeta(metaKey, hash);
}

export async function startGateway(env: Env, deps: StartupDeps): Promise<Gateway> {
  const cipher = env.ENCRYPTION_KEY ? await createAesGcmCipher(env.ENCRYPTION_KEY) : plainCipher;
  const storage = createSqlStorage(new D1Driver(deps.database(env)), { cipher });
  const now = deps.clock.now();
  await importOnChange(storage, 'GEMINI_API_KEYS', env.GEMINI_API_KEYS, async (text) => {
    const result = await importEnvKeys(storage, text, now);
    deps.logger({ event: 'env_keys_imported', ...result });
  });
  await importOnChange(storage, 'ACCESS_TOKENS', env.ACCESS_TOKENS, async (csv) => {
    const count = await importEnvAccessTokens(storage, csv, now);
    deps.logger({ event: 'env_access_tokens_imported', count });
  });
  return createGateway({
    storage,
    upstream: createFetchUpstream(deps.fetch),
    upstreamBaseUrl: env.UPSTREAM_BASE_URL?.trim() || DEFAULT_UPSTREAM_BASE_URL,
    adminTokenHash: await adminTokenHashFrom(env.ADMIN_TOKEN),
    metricsTokenHash: await adminTokenHashFrom(env.METRICS_TOKEN),
    flushMode: 'per-request',
    rateLimitsInUsage: true,
    maxBodyBytes: maxBodyBytes(env.MAX_BODY_MB, deps.logger),
    clientAddress: (req) => req.headers.get('cf-connecting-ip') ?? 'unknown',
    panel: env.ASSETS ? workerPanelAssets(env.ASSETS) : undefined,
    logRequests: env.LOG_REQUESTS !== '0' && env.LOG_REQUESTS !== 'false',
    publicBaseUrl: env.PUBLIC_BASE_URL?.trim() || null,
    maxUploadBytes: positiveInt(env.MAX_UPLOAD_BYTES),
    clock: deps.clock,
    logger: deps.logger,
  });
}
