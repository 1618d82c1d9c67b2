/** An in-process gateway on a temporary SQLite file with an injected clock, for the scheduled-job tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { CONFIG_FIELDS, validateConfigPatch } from '../../src/core/config.js';
import type { Outcome } from '../../src/core/health/classify.js';
import type { Storage } from '../../src/core/ports.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { createUndiciUpstream } from '../../src/upstream/undici.js';

export interface InProcess {
  gateway: Gateway;
  storage: Storage;
  db: Database.Database;
  clock: { t: number; now(): number };
  /** Adds keys (with optional projects) at the clock's time; returns their ids in order. */
  addKeys(keys: Array<string | { apiKey: string; project?: string }>): Promise<number[]>;
  setConfig(values: Record<string, string | number>): Promise<void>;
  /** Reports one upstream attempt of key `id` for `model`, as the proxy would. */
  attempt(id: number, outcome: Outcome, status: number, model?: string | null, tokens?: number): void;
  close(): Promise<void>;
}

export async function startInProcess(opts: {
  upstreamUrl: string;
  t0: number;
  wrapStorage?: (storage: Storage) => Storage;
}): Promise<InProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'gkp-ops-'));
  const sqlite = openSqliteStorage(join(dir, 'pool.sqlite'));
  const storage = opts.wrapStorage ? opts.wrapStorage(sqlite.storage) : sqlite.storage;
  const clock = { t: opts.t0, now: () => clock.t };
  const upstream = createUndiciUpstream({ origin: opts.upstreamUrl });
  const gateway = await createGateway({
    storage,
    upstream,
    upstreamBaseUrl: opts.upstreamUrl,
    adminTokenHash: null,
    flushMode: 'interval',
    clock,
    logger: () => {},
  });
  const { service } = gateway;
  return {
    gateway,
    storage,
    db: sqlite.db,
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
    async close() {
      await upstream.close();
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
