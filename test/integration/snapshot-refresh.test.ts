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
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('first')] });
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
});
