/** PostgreSQL faults: an unreachable or silent server fails fast and clearly; a dropped feed connection comes back. */
import { createServer, type Server } from 'node:net';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import type { StorageChange } from '../../src/core/ports.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { freePort, until } from '../reliability/helpers.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';

const PASSWORD = 's3cret-db-password';

async function openError(url: string): Promise<Error> {
  try {
    await openPostgresStorage(url);
  } catch (err) {
    return err as Error;
  }
  throw new Error('opened a database that is not there');
}

describe('an unreachable PostgreSQL server', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('refusing connections fails the start with the URL shown without its password', async () => {
    const port = await freePort();
    const err = await openError(`postgres://gkp:${PASSWORD}@127.0.0.1:${port}/pool`);
    expect(err.message).toContain(`postgres://gkp:***@127.0.0.1:${port}/pool`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('accepting connections but never answering fails the start too, instead of hanging', async () => {
    const silent = createServer(() => {});
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const err = await openError(`postgres://gkp:${PASSWORD}@127.0.0.1:${port}/pool`);
    expect(err.message).toMatch(/CONNECT_TIMEOUT|timeout/i);
    expect(err.message).not.toContain(PASSWORD);
  });
});

describe.skipIf(postgresMissing())('a dropped change-feed connection', () => {
  it('reports the feed down, listens again, and then announces every kind once (changes may have been missed)', async () => {
    const url = await createTestDatabase();
    const storage = await openPostgresStorage(url);
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const heard: StorageChange[] = [];
      storage.changes!.subscribe((c) => heard.push(c));
      expect(storage.changes!.connected).toBe(true);
      const killed = await admin`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE application_name LIKE 'gkp-%-feed' AND datname = current_database()`;
      expect(killed).toHaveLength(1);
      await until(() => !storage.changes!.connected, 'the feed to notice', 5000);
      await until(() => storage.changes!.connected, 'the feed to listen again', 10_000);
      expect(heard.sort()).toEqual(['config', 'keys', 'tokens']);
    } finally {
      await admin.end();
      await storage.close?.();
    }
  });
});
