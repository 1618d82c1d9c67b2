/** An in-process gateway on a temporary SQLite file with an injected clock, for the scheduled-job tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { CONFIG_FIELDS, validateConfigPatch } from '../../src/core/config.js';
import type { Outcome } from '../../src/core/health/classify.js';
import { sha256Hex } from '../../src/core/crypto.js';
import type { Storage } from '../../src/core/ports.js';
import type { AccessToken, TokenRules } from '../../src/core/types.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { createUndiciUpstream } from '../../src/upstream/undici.js';

export interface InProcess {
  gateway: Gateway;
  storage: Storage;
  db: Database.Database;
  /** The SQLite file, for a second writer. */
  path: string;
  clock: { t: number; now(): number };
  /** Adds keys (with optional projects) at the clock's time; returns their ids in order. */
  addKeys(keys: Array<string | { apiKey: string; project?: string }>): Promise<number[]>;
  setConfig(values: Record<string, string | number>): Promise<void>;
  /** Reports one upstream attempt of key `id` for `model`, as the proxy would. */
  attempt(id: number, outcome: Outcome, status: number, model?: string | null, tokens?: number): void;
  /** Creates an access token with these rules; returns its secret and the stored token. */
  createToken(name: string, rules?: Partial<TokenRules>): Promise<{ secret: string; token: AccessToken }>;
  /** A chat completion through the gateway's app with this access token. */
  chat(secret: string, model?: string): Promise<Response>;
  close(): Promise<void>;
}

export async function startInProcess(opts: {
  upstreamUrl: string;
  t0: number;
  wrapStorage?: (storage: Storage) => Storage;
  /** Usage rows kept while storage fails. */
  maxBufferedUsageRows?: number;
}): Promise<InProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'gkp-ops-'));
  const path = join(dir, 'pool.sqlite');
  const sqlite = openSqliteStorage(path);
  const storage = opts.wrapStorage ? opts.wrapStorage(sqlite.storage) : sqlite.storage;
  const clock = { t: opts.t0, now: () => clock.t };
  const upstream = createUndiciUpstream({ origin: opts.upstreamUrl });
  const gateway = await createGateway({
    storage,
    upstream,
    upstreamBaseUrl: opts.upstreamUrl,
    adminTokenHash: null,
    flushMode: 'interval',
    maxBufferedUsageRows: opts.maxBufferedUsageRows,
    clock,
    logger: () => {},
  });
  const { service } = gateway;
  return {
    gateway,
    storage,
    db: sqlite.db,
    path,
    clock,
    async addKeys(keys) {
      const list = keys.map((k) => (typeof k === 'string' ? { apiKey: k } : k));
      await storage.keys.addKeys(list, clock.now());
      await service.refresh();
      const byKey = new Map(service.pool.list().map((k) => [k.apiKey, k.id]));
      return list.map((k) => byKey.get(k.apiKey) as number);
    },
    async setConfig(values) {
      const result = validateConfigPatch(values);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      await storage.config.setConfigValues(
        Object.entries(result.values).map(([key, value]) => ({
          key,
          value,
          description: CONFIG_FIELDS[key as keyof typeof CONFIG_FIELDS].description,
        })),
      );
      service.applyConfig(await storage.config.getConfigValues());
    },
    attempt(id, outcome, status, model = 'gemini-2.5-flash', tokens = 0) {
      const key = service.pool.get(id);
      if (!key) throw new Error(`no key ${id}`);
      service.pool.markUsed(key, model);
      service.report({
        key,
        outcome,
        endpoint: 'chat.completions',
        model,
        status,
        tokens: { prompt: tokens, completion: 0, total: tokens },
        latencyMs: 100,
        accessTokenId: null,
        attempt: 1,
        error: outcome.kind === 'ok' ? null : outcome.kind,
      });
    },
    async createToken(name, rules) {
      const secret = `gkp_in_process_${name}_0123456789abcdef`;
      const token = await storage.tokens.createToken(
        { name, hash: await sha256Hex(secret), hint: 'h', source: 'api', rules },
        clock.now(),
      );
      return { secret, token };
    },
    async chat(secret, model = 'gemini-2.5-flash') {
      return await gateway.app.fetch(
        new Request('http://gateway/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
        }),
        {},
        { waitUntil: () => {}, passThroughOnException: () => {}, props: {} },
      );
    },
    async close() {
      gateway.close();
      await upstream.close();
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
