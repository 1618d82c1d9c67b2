/**
 * FLUSH_BATCH_ROWS: under heavy traffic a flush starts as soon as that many writes are buffered,
 * instead of one large synchronous SQLite transaction per FLUSH_INTERVAL_MS holding the event loop.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat, dbCounts, until } from './helpers.js';

let mock: MockGemini;
let gw: TestGateway | undefined;

beforeAll(async () => {
  mock = await startMockGemini();
});

afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

afterAll(async () => {
  await mock.close();
});

async function sendChats(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await chat(gw!.url, gw!.accessToken);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

describe('FLUSH_BATCH_ROWS', () => {
  it('flushes once that many writes are buffered, long before the interval', async () => {
    // 4 chats buffer 4 usage rows and one counter delta for the one key: 5 writes.
    gw = await startNodeGateway({
      upstreamUrl: mock.url,
      keys: [fakeKey('batch-a')],
      env: { FLUSH_INTERVAL_MS: '60000', FLUSH_BATCH_ROWS: '5' },
    });
    await sendChats(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(dbCounts(gw.databasePath).usageRows).toBe(0);
    expect(gw.running.gateway.service.pendingWrites).toBe(4);

    await sendChats(1);
    const counts = await until(() => {
      const c = dbCounts(gw!.databasePath);
      return c.usageRows > 0 && c;
    }, 'the backlog flush');
    expect(counts).toEqual({ totalRequests: 4, usageRows: 4 });
    expect(gw.running.gateway.service.pendingWrites).toBe(0);
  });

  it('leaves a small backlog to the interval timer', async () => {
    gw = await startNodeGateway({
      upstreamUrl: mock.url,
      keys: [fakeKey('batch-b')],
      env: { FLUSH_INTERVAL_MS: '60000', FLUSH_BATCH_ROWS: '500' },
    });
    await sendChats(10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(dbCounts(gw.databasePath)).toEqual({ totalRequests: 0, usageRows: 0 });
    expect(gw.running.gateway.service.pendingWrites).toBe(11);
  });
});
