/** The throwaway PostgreSQL server of the test run: one cluster, one database per call, never ours to keep. */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresMissing, postgresUrl } from '../support/postgres-server.js';

describe.skipIf(postgresMissing())('the PostgreSQL test server', () => {
  it('listens on loopback, with fsync off, and hands each caller its own empty database', async () => {
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    expect(a).not.toBe(b);
    expect(new URL(postgresUrl()!).hostname).toBe('127.0.0.1');
    const sql = postgres(a, { max: 1 });
    try {
      const [settings] =
        await sql`SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen, current_database() AS db`;
      expect(settings).toEqual({ fsync: 'off', listen: '127.0.0.1', db: new URL(a).pathname.slice(1) });
      const tables =
        await sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`;
      expect(tables[0]!.n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
