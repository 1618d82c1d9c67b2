/** sql/schema.postgres.sql builds exactly what PostgreSQL's migrations build, checked with psql and pg_dump. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POSTGRES_SCHEMA_PATH, renderPostgresSchema } from '../../scripts/build-schema-postgres.js';
import { openPostgresClient } from '../../src/storage/postgres/postgres-client.js';
import {
  applyPostgresMigrations,
  readPostgresMigrations,
} from '../../src/storage/postgres/postgres-migrations.js';
import { createTestDatabase, findPostgresBinDir, postgresMissing } from '../support/postgres-server.js';

const tool = (name: string) => join(findPostgresBinDir() ?? '', name);

/** Runs `file` in psql, without the notices of `IF NOT EXISTS` on a second run. */
const psqlFile = (url: string, file: string) =>
  execFileSync(tool('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], {
    encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  });

/** The schema as pg_dump prints it, less the random `\restrict` key of each dump. */
const dumpSchema = (url: string) =>
  execFileSync(tool('pg_dump'), ['--schema-only', '--no-owner', '-d', url], { encoding: 'utf8' }).replace(
    /^\\(un)?restrict .*$/gm,
    '',
  );

async function migrate(url: string): Promise<string[]> {
  const sql = openPostgresClient(url, { max: 1, applicationName: 'gkp-test' });
  try {
    return await applyPostgresMigrations(sql);
  } finally {
    await sql.end();
  }
}

async function migrationRows(url: string): Promise<string[]> {
  const sql = openPostgresClient(url, { max: 1, applicationName: 'gkp-test' });
  try {
    return (await sql.unsafe('SELECT name FROM schema_migrations ORDER BY name')).map((r) => String(r.name));
  } finally {
    await sql.end();
  }
}

describe('sql/schema.postgres.sql', () => {
  it('is up to date with scripts/build-schema-postgres.ts (run `npx tsx scripts/build-schema-postgres.ts`)', () => {
    expect(readFileSync(POSTGRES_SCHEMA_PATH, 'utf8')).toBe(renderPostgresSchema(readPostgresMigrations()));
  });

  it.skipIf(postgresMissing())(
    'builds exactly the schema the migrations build, can run twice, and leaves no migration to apply',
    async () => {
      const [migrated, fromFile] = [await createTestDatabase(), await createTestDatabase()];
      const names = readPostgresMigrations().map((m) => m.name);
      expect(await migrate(migrated)).toEqual(names);
      psqlFile(fromFile, POSTGRES_SCHEMA_PATH);
      psqlFile(fromFile, POSTGRES_SCHEMA_PATH);
      const dump = dumpSchema(migrated);
      expect(dump).toContain('CREATE TABLE public.api_keys');
      expect(dump).toContain('CREATE TRIGGER api_keys_notify_update');
      expect(dumpSchema(fromFile)).toBe(dump);
      expect(await migrate(fromFile)).toEqual([]);
      expect(await migrationRows(fromFile)).toEqual(names);
    },
  );
});
