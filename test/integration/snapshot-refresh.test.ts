/** Changes made by another writer (the CLI, another process) reach a running gateway's snapshot. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

let mock: MockGemini;
let gw: TestGateway;
let other: SqliteStorage;

beforeAll(async () => {
  mock = await startMockGemini();
  // Flushes only when a refresh or an admin write asks, so errors can be held in the buffer.
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: [fakeKey('first')],
    env: { FLUSH_INTERVAL_MS: '60000' },
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
  });
});
