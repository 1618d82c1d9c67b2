/** The PostgreSQL change feed: what one writer commits reaches another writer's listeners, and nothing else does. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage, StorageChange } from '../../src/core/ports.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { counter, emptyBatch, seedKeys, T0 } from '../contract/fixture.js';
import { until } from '../reliability/helpers.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';

describe.skipIf(postgresMissing())('the PostgreSQL change feed', () => {
  let writer: Storage;
  let reader: Storage;
  const heard: StorageChange[] = [];
  const ownHeard: StorageChange[] = [];

  beforeAll(async () => {
    const url = await createTestDatabase();
    writer = await openPostgresStorage(url);
    reader = await openPostgresStorage(url);
    reader.changes!.subscribe((c) => heard.push(c));
    writer.changes!.subscribe((c) => ownHeard.push(c));
  });

  afterAll(async () => {
    await writer?.close?.();
    await reader?.close?.();
  });

  /** Runs `change` on the writer and returns what the reader heard of it. */
  async function hear(change: () => Promise<unknown>, expected: StorageChange[]): Promise<StorageChange[]> {
    heard.length = 0;
    await change();
    await until(() => expected.every((c) => heard.includes(c)), `notices ${expected.join(', ')}`, 5000);
    return [...heard];
  }

  it('is connected, and tells of keys, config and tokens changed by another writer', async () => {
    expect(reader.changes!.connected).toBe(true);
    const [a, b] = await hear(() => seedKeys(writer, 2, T0), ['keys']).then(async () =>
      (await writer.keys.loadKeys()).map((k) => k.id),
    );
    await hear(() => writer.keys.setKeysActive([a!], false, T0 + 1), ['keys']);
    await hear(
      () =>
        writer.keys.applyBatch(
          {
            ...emptyBatch(),
            changes: [{ keyId: b!, cooldowns: [{ model: 'm', until: T0 + 60_000, reason: '429' }] }],
          },
          T0 + 2,
        ),
      ['keys'],
    );
    await hear(() => writer.keys.deleteKeys([b!]), ['keys']);
    await hear(
      () => writer.config.setConfigValues([{ key: 'rotation_strategy', value: 'random', description: '' }]),
      ['config'],
    );
    await hear(
      () => writer.tokens.createToken({ name: 't', hash: 'h'.repeat(64), hint: 'sk-…', source: 'api' }, T0),
      ['tokens'],
    );
    // A writer does not hear its own changes.
    expect(ownHeard).toEqual([]);
  });

  it('stays silent on the counter updates every request makes', async () => {
    const [id] = (await writer.keys.loadKeys()).map((k) => k.id);
    heard.length = 0;
    await writer.keys.applyBatch({ ...emptyBatch(), counters: [counter(id!)] }, T0 + 10);
    // A later change is heard; the counter update before it was not.
    await hear(() => writer.config.setConfigValues([{ key: 'x', value: '1', description: '' }]), ['config']);
    expect(heard).toEqual(['config']);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const late: StorageChange[] = [];
    const stop = reader.changes!.subscribe((c) => late.push(c));
    stop();
    await hear(() => writer.config.setConfigValues([{ key: 'y', value: '1', description: '' }]), ['config']);
    expect(late).toEqual([]);
  });
});
