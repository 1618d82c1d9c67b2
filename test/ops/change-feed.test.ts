/**
 * The storage's change feed (PostgreSQL LISTEN/NOTIFY in production; a hand-driven fake here, over a
 * real SQLite file shared with a second writer): a notice refreshes the snapshot at once instead of
 * at the next poll, notices arriving together share refreshes, a token notice drops cached
 * verdicts, and closing the gateway stops listening.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { FakeChangeFeed } from '../support/fake-change-feed.js';
import { fakeKey } from '../support/keys.js';
import { T0, useInProcessSuite } from './in-process-suite.js';

const feed = new FakeChangeFeed();
let loads = 0;
function withFeed(storage: Storage): Storage {
  const keys: Storage['keys'] = Object.create(storage.keys);
  keys.loadChangesSince = (since) => {
    loads += 1;
    return storage.keys.loadChangesSince(since);
  };
  return { ...storage, keys, changes: feed };
}

const suite = useInProcessSuite();
const start = () => suite.start(withFeed);

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('change feed', () => {
  it('refreshes on a notice from another writer, long before the snapshot is stale, and coalesces a burst', async () => {
    const e = await start();
    const [id] = await e.addKeys([fakeKey('feed-a')]);
    const other = openSqliteStorage(e.path);
    try {
      // Another gateway disables the key; the poll would see it only after snapshot_refresh_seconds.
      await other.storage.keys.setKeysActive([id!], false, T0 + 1);
      expect(e.gateway.service.isStale()).toBe(false);
      await settle();
      expect(e.gateway.service.pool.get(id!)?.disabled).toBeNull();

      loads = 0;
      for (let i = 0; i < 20; i++) feed.emit('keys');
      await vi.waitFor(() =>
        expect(e.gateway.service.pool.get(id!)?.disabled).toMatchObject({ by: 'manual' }),
      );
      await settle();
      // One run, plus at most one more for the notices that arrived during it.
      expect(loads).toBeGreaterThanOrEqual(1);
      expect(loads).toBeLessThanOrEqual(2);

      // Config: a changed local limit applies on the notice.
      await other.storage.config.setConfigValues([{ key: 'local_rpm_limit', value: '7', description: 'x' }]);
      feed.emit('config');
      await vi.waitFor(() => expect(e.gateway.service.config.localRpmLimit).toBe(7));
    } finally {
      other.close();
    }
  });

  it('drops cached token verdicts on a tokens notice, and stops listening once closed', async () => {
    const e = await start();
    await e.addKeys([fakeKey('feed-b')]);
    const { secret, token } = await e.createToken('feed');
    expect((await e.chat(secret)).status).toBe(200);
    await e.storage.tokens.revokeToken(token.id, T0 + 1);
    // Cached for a while: still accepted without a notice.
    expect((await e.chat(secret)).status).toBe(200);
    feed.emit('tokens');
    expect((await e.chat(secret)).status).toBe(401);

    const before = feed.listeners.size;
    e.gateway.close();
    expect(feed.listeners.size).toBe(before - 2);
  });
});
