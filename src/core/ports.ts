/**
 * Ports between the portable core and its runtimes. Interfaces only: adapters live in
 * `src/storage/*` and `src/upstream/*`, and a runtime entry wires them together.
 */
import type { Cancellation } from './cancel.js';
import type { ChunkFlow, ChunkSink } from './chunk-flow.js';
import type {
  AccessToken,
  KeyPatch,
  LimitCount,
  NewKey,
  PoolKey,
  TokenRules,
  UsageRecord,
  WriteBatch,
} from './types.js';

/** Wall-clock time, injected so cooldowns and scheduled jobs are testable. */
export interface Clock {
  now(): number;
}

/** Uniform random numbers in [0, 1), injected so the random strategy is testable. */
export interface Random {
  next(): number;
}

/** One structured log line. Adapters print it as JSON; the caller never puts a key in it. */
export type Logger = (entry: Record<string, unknown>) => void;

/** Encrypts API keys at rest. The identity cipher is used when no `ENCRYPTION_KEY` is set. */
export interface KeyCipher {
  encrypt(plain: string): Promise<string>;
  /** Accepts both encrypted and plaintext stored values, so a half-migrated table still loads. */
  decrypt(stored: string): Promise<string>;
}

export interface AddKeysResult {
  added: number;
  duplicates: number;
}

export interface KeyChanges {
  keys: PoolKey[];
  deletedIds: number[];
}

/** What the periodic maintenance job changed. */
export interface MaintenanceResult {
  cooldownsCleared: number;
  keysReenabled: number;
  errorCountsReset: number;
}

/** Keys and their health. Every method is safe to call while the gateway serves traffic. */
export interface KeyStore {
  /** Every key, with its cooldowns. */
  loadKeys(): Promise<PoolKey[]>;
  /**
   * Keys whose `updated_at` is at or after `since`, and ids deleted at or after `since`.
   * Lets a snapshot refresh read only what changed.
   */
  loadChangesSince(since: number): Promise<KeyChanges>;
  /** Inserts new keys; a key already present counts as a duplicate and is left unchanged. Chunked for D1's bind limit. */
  addKeys(keys: NewKey[], now: number): Promise<AddKeysResult>;
  /** Applies an admin edit. Enabling clears any disable and the consecutive error count. Returns the key, or null if absent. */
  updateKey(id: number, patch: KeyPatch, now: number): Promise<PoolKey | null>;
  /**
   * Enables (clearing any disable and the consecutive error count) or disables by hand many keys at
   * once, in chunks rather than one statement per key. Returns the ids that existed.
   */
  setKeysActive(ids: number[], active: boolean, now: number): Promise<number[]>;
  /** Puts many keys in `group` (null: in no group) at once; returns the ids that existed. */
  setKeysGroup(ids: number[], group: string | null, now: number): Promise<number[]>;
  /** Deletes keys by id; returns how many existed. */
  deleteKeys(ids: number[]): Promise<number>;
  /** Sets `consecutive_errors` and `error_count` to 0; returns how many keys exist among `ids`. */
  resetErrors(ids: number[], now: number): Promise<number>;
  /**
   * Applies one flush atomically: appends usage rows, adds counter deltas with `x = x + ?`,
   * and writes state changes. Bumps `updated_at` only for state changes, not for counters.
   */
  applyBatch(batch: WriteBatch, now: number): Promise<void>;
  /**
   * Clears cooldowns that ended, re-enables keys whose temporary auto-disable ended, and resets
   * consecutive error counts whose last error is older than `errorResetMs`.
   */
  runMaintenance(now: number, errorResetMs: number): Promise<MaintenanceResult>;
  /** Re-encrypts every stored key with the store's cipher; returns how many rows changed. */
  reencryptKeys(): Promise<number>;
}

export interface UsageQuery {
  limit: number;
  /** Only rows with an id below this (keyset pagination, newest first). */
  beforeId?: number;
  keyId?: number;
  /** Only rows of this access token. */
  tokenId?: number;
  model?: string;
  endpoint?: string;
  status?: number;
  since?: number;
}

export interface UsageRow extends UsageRecord {
  id: number;
}

export interface StatsQuery {
  since: number;
  until: number;
  /** Width of one bucket of the time series. */
  bucketMs: number;
  /** Only this access token's rows; read from raw rows (the hourly rollups have no token), so within usage retention. */
  tokenId?: number;
}

export interface StatsGroup {
  requests: number;
  errors: number;
  totalTokens: number;
}

export interface Stats {
  totals: StatsGroup & { promptTokens: number; completionTokens: number };
  byKey: Array<StatsGroup & { keyId: number | null }>;
  byEndpoint: Array<StatsGroup & { endpoint: string }>;
  byModel: Array<StatsGroup & { model: string | null }>;
  byStatus: Array<{ status: number; count: number }>;
  /** One entry per bucket that has rows, ascending by `t` (bucket start). */
  series: Array<StatsGroup & { t: number }>;
}

/** What one rollup run folded. */
export interface RollupResult {
  /** Hours folded into the hourly tables by this run. */
  hours: number;
  /** Every hour before this (epoch ms, hour-aligned) is in the hourly tables; null before the first run. */
  rolledUpUntil: number | null;
}

/** A rate-limited attempt as its usage row recorded it (see `core/health/usage-cooldowns.ts`). */
export interface RateLimitedAttempt {
  keyId: number | null;
  timestamp: number;
  error: string | null;
}

/** Reads over `api_key_usage` and its hourly rollups. Writes go through `KeyStore.applyBatch`. */
export interface UsageStore {
  /**
   * The rate-limited attempts recorded in usage rows after id `afterId` (or, with `sinceTime`, at
   * or after that time, with rows a little older), oldest first, and the newest usage id
   * (`lastId`, 0 for an empty table), to pass as `afterId` next time. Reads every usage row in the
   * range: a rowid range, as the table has no index.
   */
  rateLimitedSince(
    from: { afterId: number } | { sinceTime: number },
  ): Promise<{ lastId: number; attempts: RateLimitedAttempt[] }>;
  listUsage(query: UsageQuery): Promise<UsageRow[]>;
  /**
   * Totals and breakdowns of a range. Whole hours already rolled up are read from the hourly
   * tables (when `bucketMs` is a whole number of hours); raw rows only for the rest.
   */
  stats(query: StatsQuery): Promise<Stats>;
  /**
   * Folds finished hours of raw usage before `before` (rounded down to an hour) into the hourly
   * tables, at most `maxHours` per call. Idempotent: an hour folded twice holds the same sums.
   */
  rollupUsage(before: number, maxHours: number): Promise<RollupResult>;
  /** Deletes usage rows, and hourly rollups, older than `before`; returns how many usage rows. */
  pruneUsage(before: number): Promise<number>;
}

/** One request of a token to count, if its limits allow it. Limits are null when off. */
export interface TokenReservation {
  tokenId: number;
  minuteEnd: number;
  dayEnd: number;
  rpm: number | null;
  rpd: number | null;
  /** Token limits, less the tokens this process counted and has not stored yet. */
  tpm: number | null;
  tpd: number | null;
}

/**
 * One request of a key (or its project) for a model to count against the local key limits, if they
 * allow it. A window whose end is 0 is off: nothing is counted or checked in it.
 */
export interface KeyReservation {
  /** `k:<key id>`, or `p:<project>` when the key has a project. */
  subject: string;
  /** Normalized model name. */
  model: string;
  minuteEnd: number;
  dayEnd: number;
  rpm: number;
  rpd: number;
}

/** A token's stored counts in its current minute and day. */
export interface TokenWindowCounts {
  minuteRequests: number;
  dayRequests: number;
  minuteTokens: number;
  dayTokens: number;
}

/**
 * Persisted limit counts, counted in storage so they hold across processes and restarts: local key
 * limits and token request limits are reserved before the upstream call by atomic conditional
 * increments; token totals are added through `KeyStore.applyBatch`.
 */
export interface LimitStore {
  /** Local key-limit counts of windows that end after `now`, summed per window. */
  loadLimitCounts(now: number): Promise<LimitCount[]>;
  /**
   * Counts requests of keys in their minute and day windows, each one only when both its counts are
   * still below their limits (one atomic statement per reservation), all in one transaction (one
   * `db.batch` on D1). Returns, in order, whether each was counted; a refused one counts nothing.
   */
  reserveKeyRequests(reservations: readonly KeyReservation[]): Promise<boolean[]>;
  /**
   * Counts requests of tokens in their minute and day windows, each one only when every limit of
   * its token still allows it (one atomic statement per reservation), all in one transaction (one
   * `db.batch` on D1). Returns, in order, whether each was counted; a refused one counts nothing.
   */
  reserveTokenRequests(reservations: readonly TokenReservation[]): Promise<boolean[]>;
  /** One token's counts in the windows ending at `minuteEnd` and `dayEnd`. */
  tokenCounts(tokenId: number, minuteEnd: number, dayEnd: number): Promise<TokenWindowCounts>;
  /** Every token's counts in the windows ending at `minuteEnd` and `dayEnd`, by token id. */
  tokenWindowCounts(minuteEnd: number, dayEnd: number): Promise<Map<number, TokenWindowCounts>>;
  /** Deletes counts of windows that ended at or before `now`; returns how many rows. */
  pruneLimitCounts(now: number): Promise<number>;
}

/** Rows of `pool_config`, as strings; validation lives in `core/config.ts`. */
export interface ConfigStore {
  getConfigValues(): Promise<Record<string, string>>;
  /** Upserts all entries in one transaction. */
  setConfigValues(entries: Array<{ key: string; value: string; description: string }>): Promise<void>;
}

export interface NewAccessToken {
  name: string;
  hash: string;
  hint: string;
  source: 'env' | 'api';
  rules?: Partial<TokenRules>;
}

/** Client access tokens, stored as SHA-256 hashes. */
export interface TokenStore {
  /** Inserts a token; if the hash exists already, returns the existing one unchanged. */
  createToken(token: NewAccessToken, now: number): Promise<AccessToken>;
  listTokens(): Promise<AccessToken[]>;
  /** Changes a live token's rules (and name); returns it, or null when no live token has this id. */
  updateToken(id: number, rules: Partial<TokenRules>, name?: string): Promise<AccessToken | null>;
  /** Returns false if no live token has this id. */
  revokeToken(id: number, now: number): Promise<boolean>;
  /** The live (not revoked) token with this hash. */
  findTokenByHash(hash: string): Promise<AccessToken | null>;
}

/** Small instance settings, such as the generated admin token's hash. */
export interface MetaStore {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /**
   * Takes or renews the lease `name` for `holder` until `until`, in one atomic upsert on `pool_meta`
   * that succeeds only when the lease is free, expired (its end is at or before `now`) or already
   * `holder`'s. True when `holder` holds it now. Lets one process of many run a cluster-wide job.
   */
  tryLease(name: string, holder: string, until: number, now: number): Promise<boolean>;
}

/**
 * Who owns a project-bound Gemini resource (`files/…`, `cachedContents/…`, `batches/…`,
 * `operations/…`, or a gateway upload session `uploads/…`): the key that created it.
 */
export interface ResourceOwner {
  name: string;
  keyId: number;
  /** The owning key's project when known: any key of the same project may serve the resource. */
  project: string | null;
  accessTokenId: number | null;
  /** For an upload session: the upstream path and query its chunks go to. */
  upstream: string | null;
  createdAt: number;
  /** Epoch ms when the resource expires upstream; null when unknown (kept until deleted). */
  expiresAt: number | null;
}

/** Ownership records of project-bound resources, shared by every process and isolate. */
export interface ResourceStore {
  /** The records of these names (one indexed read); missing names are simply absent. */
  findOwners(names: readonly string[]): Promise<ResourceOwner[]>;
  /** Inserts or replaces the record of `owner.name`. */
  recordOwner(owner: ResourceOwner): Promise<void>;
  /** Deletes records by name; returns how many existed. */
  forgetOwners(names: readonly string[]): Promise<number>;
  /** Ids of the keys that own live resources whose name starts with `prefix` (e.g. `files/`), ascending. */
  ownerKeyIds(prefix: string, now: number): Promise<number[]>;
  /** The key that owns the newest resource with this prefix created by `accessTokenId` at or after `since`. */
  recentOwnerKey(accessTokenId: number, prefix: string, since: number): Promise<number | null>;
  /** Live resources per owning key (upload sessions not counted). */
  countByKey(now: number): Promise<Map<number, number>>;
  /** Live resources owned by one key (upload sessions not counted): one indexed read. */
  countForKey(keyId: number, now: number): Promise<number>;
  /** Deletes records that expired at or before `now`; returns how many. */
  pruneExpired(now: number): Promise<number>;
}

/** What another writer changed, as told by a change feed. */
export type StorageChange = 'keys' | 'config' | 'tokens';

/** Push notice of changes other writers committed (PostgreSQL LISTEN/NOTIFY). Absent on SQLite and D1. */
export interface ChangeFeed {
  /** Calls `listener` soon after another writer commits a change. Returns a function that stops listening. */
  subscribe(listener: (change: StorageChange) => void): () => void;
  /** False while the feed's connection is down: changes may be missed, so callers must poll. */
  readonly connected: boolean;
}

/** Everything a runtime hands to the core. Each adapter (sqlite, d1) provides every store. */
export interface Storage {
  keys: KeyStore;
  usage: UsageStore;
  limits: LimitStore;
  config: ConfigStore;
  tokens: TokenStore;
  meta: MetaStore;
  resources: ResourceStore;
  /** A cheap liveness probe for `/healthz`. */
  ping(): Promise<boolean>;
  /** Push notice of other writers' changes, where the database offers it (PostgreSQL). */
  changes?: ChangeFeed;
  /** Releases the storage's connections (PostgreSQL); absent where there is nothing to release. */
  close?(): Promise<void>;
}

/** An HTTP method a client route may forward. */
export type UpstreamMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface UpstreamRequest {
  method: UpstreamMethod;
  /** Absolute URL. Never carries a key: keys go in headers. */
  url: string;
  headers: Record<string, string>;
  /** Bytes, or a body streamed through as it arrives (an upload), never held whole. */
  body?: Uint8Array | string | AsyncIterable<Uint8Array>;
  /** Before the response headers, cancelling rejects `request()`; after, it fails the body. */
  cancel: Cancellation;
}

export interface UpstreamResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Reads the whole body. Rejects if the connection fails mid-body or the request is cancelled. */
  bytes(): Promise<Uint8Array>;
  /**
   * Pushes the body to `sink` as it arrives (see `ChunkSource.pipe`), instead of `bytes()`.
   * Cancelling the flow aborts the upstream request.
   */
  pipe(sink: ChunkSink): ChunkFlow;
}

/** Sends one request to Gemini. Rejects on connection errors and cancellation; HTTP errors resolve. */
export interface Upstream {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
}
