/**
 * PostgreSQL fixtures for the storage contracts (Node only), on the run's test server.
 */
import type { KeyCipher } from '../../src/core/ports.js';
import { openPostgresClient } from '../../src/storage/postgres/postgres-client.js';
import { PostgresDriver } from '../../src/storage/postgres/postgres-driver.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { createTestDatabase } from '../support/postgres-server.js';
import type { MakeStorage } from './fixture.js';

/**
 * Empties every table of the database at `url` (schema_migrations too, so that opening the storage
 * runs the idempotent migrations again and re-seeds their rows), restarting identities.
 */
export async function emptyDatabase(url: string): Promise<void> {
  const sql = openPostgresClient(url, { max: 1, applicationName: 'gkp-test-reset' });
  try {
    const tables = await sql.unsafe(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    if (tables.length > 0) {
      await sql.unsafe(
        `TRUNCATE ${tables.map((t) => `"${String(t.tablename)}"`).join(', ')} RESTART IDENTITY`,
      );
    }
  } finally {
    await sql.end();
  }
}

/**
 * A factory of fixtures over PostgreSQL: one database for the test file, emptied before each
 * fixture (fixtures of one file never overlap). Call once at the top level of a test file.
 */
export function postgresFixtures(): (cipher?: KeyCipher) => MakeStorage {
  let database: Promise<string> | undefined;
  return (cipher) => async () => {
    database ??= createTestDatabase();
    const url = await database;
    await emptyDatabase(url);
    const storage = await openPostgresStorage(url, { ...(cipher ? { cipher } : {}), poolSize: 2 });
    const raw = openPostgresClient(url, { max: 1, applicationName: 'gkp-test-raw' });
    const driver = new PostgresDriver(raw);
    return {
      storage,
      encrypted: cipher !== undefined,
      sql: (query, params = []) => driver.all(query, params),
      close: async () => {
        await raw.end();
        await storage.close?.();
      },
    };
  };
}
