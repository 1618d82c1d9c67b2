/** Changes made by another writer (the CLI, another process) reach a running gateway's snapshot. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { until } from '../reliability/helpers.js';
import { fakeKey } from '../support/keys.js';

let mock: MockGemini;
let gw: TestGateway;
let other: SqliteStorage;

beforeAll(async () => {
  mock = await startMockGemini();
  // Flushes and refreshes only when a test or an admin write asks, so writes can be held in the buffer.
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: [fakeKey('first')],
    env: { FLUSH_INTERVAL_MS: '60000' },
    config: { snapshot_refresh_seconds: 3600 },
  });
  other = openSqliteStorage(gw.databasePath);
});

afterAll(async () => {
  other?.close();
  await gw?.close();
  await mock?.close();
});

describe('snapshot refresh', () => {
  it('picks up config, added, disabled and deleted keys written by another connection', async () => {
    const service = gw.running.gateway.service;
    expect(service.config.maxRetries).toBe(3);
    const now = Date.now();
    await other.storage.config.setConfigValues([{ key: 'max_retries', value: '1', description: 'x' }]);
    await other.storage.keys.addKeys([{ apiKey: fakeKey('second') }, { apiKey: fakeKey('third') }], now);
    const [, second, third] = await other.storage.keys.loadKeys();
    await other.storage.keys.updateKey(second!.id, { isActive: false }, now);
    await other.storage.keys.deleteKeys([third!.id]);

    await service.refresh();
    expect(service.config.maxRetries).toBe(1);
    expect(service.pool.size).toBe(2);
    expect(service.pool.get(second!.id)?.disabled).toMatchObject({ by: 'manual' });
    expect(service.pool.get(third!.id)).toBeUndefined();
  });

  it('re-reads the config only when its version changed', async () => {
    const service = gw.running.gateway.service;
    const storage = service.storage;
    let configReads = 0;
    const original = storage.config.getConfigValues.bind(storage.config);
    storage.config.getConfigValues = async () => {
      configReads += 1;
      return original();
    };
    try {
      await service.refresh();
      await service.refresh();
      expect(configReads).toBe(0);
      await other.storage.config.setConfigValues([{ key: 'max_retries', value: '2', description: 'x' }]);
      await service.refresh();
      expect(configReads).toBe(1);
      expect(service.config.maxRetries).toBe(2);
    } finally {
      storage.config.getConfigValues = original;
    }
  });

  it('finds a key another process just added when the admin API is asked for it by id', async () => {
    await other.storage.keys.addKeys([{ apiKey: fakeKey('added-elsewhere') }], Date.now());
    const added = (await other.storage.keys.loadKeys()).at(-1)!;
    expect(gw.running.gateway.service.pool.get(added.id)).toBeUndefined();
    const res = await gw.admin('PATCH', `/keys/${added.id}`, { gmail_email: 'later@example.com' });
    expect(res.status).toBe(200);
    expect(res.body.key).toMatchObject({ id: added.id, gmail_email: 'later@example.com' });
    expect((await gw.admin('PATCH', '/keys/999999', { gmail_email: 'x@example.com' })).status).toBe(404);
  });

  it('logs failed refreshes at most once a minute, with the failures counted and no secret', async () => {
    const service = gw.running.gateway.service;
    const keys = service.storage.keys;
    const load = keys.loadChangesSince.bind(keys);
    const secret = fakeKey('in-an-error');
    keys.loadChangesSince = () => Promise.reject(new Error(`disk I/O error reading ${secret}`));
    const logged = () => gw.logs.filter((line) => line.includes('snapshot_refresh_failed'));
    try {
      for (let i = 0; i < 3; i++) await expect(service.refresh()).rejects.toThrow('disk I/O error');
    } finally {
      keys.loadChangesSince = load;
    }
    expect(logged()).toHaveLength(1);
    expect(logged()[0]).not.toContain(secret);
    expect(JSON.parse(logged()[0]!)).toMatchObject({ event: 'snapshot_refresh_failed', failures: 1 });
    await service.refresh();
  });

  describe('error counts', () => {
    const failOnce = async () => {
      mock.configure({ rate500: 1 });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
      });
      mock.configure({ rate500: 0 });
      expect(res.status).toBeGreaterThanOrEqual(500);
    };
    const firstKey = () => gw.running.gateway.service.pool.list()[0]!;
    const storedErrors = async (id: number) =>
      (await other.storage.keys.loadKeys()).find((k) => k.id === id)!.errorCount;

    it('a reset through the admin API sticks while errors are still buffered', async () => {
      const key = firstKey();
      await failOnce();
      expect(key.errorCount).toBeGreaterThan(0);
      expect(await storedErrors(key.id)).toBe(0);

      const res = await gw.admin('POST', `/keys/${key.id}/reset-errors`);
      expect(res.status).toBe(200);
      expect(res.body.key.error_count).toBe(0);
      await gw.running.gateway.service.refresh();
      expect(key.errorCount).toBe(0);
      expect(await storedErrors(key.id)).toBe(0);
    });

    it('refuses a reset with 503 when what is buffered cannot be written first, and changes nothing', async () => {
      const service = gw.running.gateway.service;
      const keys = service.storage.keys;
      const key = firstKey();
      await failOnce();
      const errors = key.errorCount;
      expect(errors).toBeGreaterThan(0);
      const apply = keys.applyBatch.bind(keys);
      keys.applyBatch = () => Promise.reject(new Error('database is locked'));
      try {
        const one = await gw.admin('POST', `/keys/${key.id}/reset-errors`);
        expect(one.status).toBe(503);
        expect(one.body.error).toMatchObject({ code: 'flush_failed', type: 'api_error' });
        const bulk = await gw.admin('POST', '/keys/bulk', { action: 'reset-errors', ids: [key.id] });
        expect(bulk.status).toBe(503);
        const disable = await gw.admin('PATCH', `/keys/${key.id}`, { is_active: false });
        expect(disable.status).toBe(503);
      } finally {
        keys.applyBatch = apply;
      }
      expect(key.errorCount).toBe(errors);
      expect(key.disabled).toBeNull();
      await service.flush();
      expect(await storedErrors(key.id)).toBe(errors);
    });

    it('a reset written by another process reaches this one at its next refresh', async () => {
      const service = gw.running.gateway.service;
      const key = firstKey();
      await failOnce();
      await service.flush();
      const errors = await storedErrors(key.id);
      expect(errors).toBeGreaterThan(0);
      expect(key.errorCount).toBe(errors);

      await other.storage.keys.resetErrors([key.id], Date.now());
      await service.refresh();
      expect(key.errorCount).toBe(0);
    });

    it('runs no flush while a refresh loads, so the counts it sets cannot miss a batch', async () => {
      const service = gw.running.gateway.service;
      const keys = service.storage.keys;
      const load = keys.loadChangesSince.bind(keys);
      const apply = keys.applyBatch.bind(keys);
      const events: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      keys.loadChangesSince = async (since) => {
        events.push('load');
        await gate;
        const changes = await load(since);
        events.push('loaded');
        return changes;
      };
      keys.applyBatch = async (batch, now) => {
        events.push('flush');
        return apply(batch, now);
      };
      try {
        await failOnce();
        const refreshing = service.refresh();
        await until(() => events.includes('load'), 'the refresh to start loading');
        await failOnce();
        const flushing = service.flush();
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(events).toEqual(['flush', 'load']);
        release();
        await Promise.all([refreshing, flushing]);
        expect(events).toEqual(['flush', 'load', 'loaded', 'flush']);
      } finally {
        release();
        keys.loadChangesSince = load;
        keys.applyBatch = apply;
      }
    });

    it('keeps counting a request that is still in flight across a refresh', async () => {
      const service = gw.running.gateway.service;
      await service.flush();
      mock.configure({ streamChunks: 5, chunkIntervalMs: 60 });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gemini-2.5-flash',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
      });
      expect(res.status).toBe(200);
      // Every key row changes, so the refresh reloads each one while the stream is still open.
      for (const key of await other.storage.keys.loadKeys()) {
        await other.storage.keys.updateKey(key.id, { email: `k${key.id}@example.com` }, Date.now());
      }
      await service.refresh();
      await res.text();
      mock.configure({ streamChunks: 3, chunkIntervalMs: 0 });
      await until(() => service.pendingWrites > 0, 'the stream to be reported');
      await service.flush();
      const total = (list: ReadonlyArray<{ totalRequests: number }>) =>
        list.reduce((n, k) => n + k.totalRequests, 0);
      expect(total(service.pool.list())).toBe(total(await other.storage.keys.loadKeys()));
    });
  });
});
