/**
 * `gemini-key-pool migrate-db`: a SQLite file built by the migrations and holding rows in every
 * table is copied into a real PostgreSQL database. Every row of every table arrives with its ids,
 * identities continue after them, a target with data is refused unless --force, and the counts are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { openPostgresClient } from '../../src/storage/postgres/postgres-client.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { fakeKey } from '../support/keys.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';
import { writeUsageHistory } from '../support/usage-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-migrate-db-'));
const source = join(dir, 'pool.sqlite');
const NOW = Date.UTC(2026, 10, 20, 12);
const USAGE_ROWS = 2_500;
const clients: Sql[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
  rmSync(dir, { recursive: true, force: true });
});

/** Rows in every table, through the stores where they have a call for it and SQL for the rest. */
async function populate(): Promise<void> {
  const { storage, db, close } = openSqliteStorage(source);
  try {
    const keys = Array.from({ length: 30 }, (_, i) => ({
      apiKey: fakeKey(`migrate${i}`),
      email: `k${i}@example.com`,
      project: i % 3 ? `proj-${i % 3}` : null,
      group: i % 5 === 0 ? 'team-a' : null,
    }));
    await storage.keys.addKeys(keys, NOW);
    const ids = (await storage.keys.loadKeys()).map((k) => k.id);
    await storage.keys.deleteKeys([ids[29]!]);
    await storage.keys.setKeysActive([ids[3]!], false, NOW);
    await storage.config.setConfigValues([{ key: 'max_retries', value: '2', description: 'retries' }]);
    const token = await storage.tokens.createToken(
      {
        name: 'class',
        hash: 'h'.repeat(64),
        hint: 'gkp_…abcd',
        source: 'api',
        rules: { rpm: 60, models: ['gemini-*'] },
      },
      NOW,
    );
    await storage.tokens.createToken(
      { name: 'plain', hash: 'g'.repeat(64), hint: 'gkp_…efgh', source: 'env' },
      NOW,
    );
    await storage.resources.recordOwner({
      name: 'files/abc',
      keyId: ids[1]!,
      project: 'proj-1',
      accessTokenId: token.id,
      upstream: null,
      createdAt: NOW,
      expiresAt: NOW + 86_400_000,
    });
    await storage.meta.setMeta('admin_token_hash', 'a'.repeat(64));
    db.prepare(
      "INSERT INTO key_cooldowns (api_key_id, model, until_ms, reason) VALUES (?, 'gemini-2.5-pro', ?, 'per_minute')",
    ).run(ids[2], NOW + 60_000);
    db.prepare(
      "INSERT INTO local_limit_counts (subject, model, period, window_end, count) VALUES (?, 'gemini-2.5-flash', 'minute', ?, 7)",
    ).run(`t:${token.id}`, NOW + 60_000);
    writeUsageHistory(db, USAGE_ROWS, 2, NOW);
    await storage.usage.rollupUsage(NOW - 3_600_000, 1_000);
  } finally {
    close();
  }
}

function sqliteTables(db: Database.Database): string[] {
  return (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as Array<{ name: string }>
  )
    .map((r) => r.name)
    .filter((n) => n !== 'd1_migrations');
}

/** Rows in one order whatever the database's (collations and NULL placement differ). */
const sorted = (rows: unknown[]): unknown[] =>
  rows
    .map((r) => JSON.stringify(r, Object.keys(r as object).sort()))
    .sort()
    .map((r) => JSON.parse(r) as unknown);

/** Every table's rows, read from SQLite. */
function sqliteContents(): Record<string, unknown[]> {
  const { db, close } = openSqliteStorage(source);
  try {
    return Object.fromEntries(
      sqliteTables(db).map((t) => [t, sorted(db.prepare(`SELECT * FROM "${t}"`).all())]),
    );
  } finally {
    close();
  }
}

async function postgresContents(sql: Sql, tables: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = sorted([...(await sql.unsafe(`SELECT * FROM "${t}"`))]);
  return out;
}

async function migrate(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['migrate-db', ...args], {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    env: {},
    readStdin: async () => '',
  });
  return { code, out, err };
}

describe.skipIf(postgresMissing())('gemini-key-pool migrate-db', () => {
  let url: string;
  let sql: Sql;
  let expected: Record<string, unknown[]>;

  beforeAll(async () => {
    await populate();
    expected = sqliteContents();
    url = await createTestDatabase();
    sql = openPostgresClient(url, { max: 1, applicationName: 'migrate-db-test' });
    clients.push(sql);
  });

  it('has a source with rows in every table', () => {
    const empty = Object.entries(expected).filter(([, rows]) => rows.length === 0);
    expect(empty.map(([t]) => t)).toEqual([]);
    expect(expected.api_key_usage).toHaveLength(USAGE_ROWS);
  });

  it('copies every table and row with its ids, and prints the counts', async () => {
    const run = await migrate(['--from', `sqlite:${source}`, '--to', url, '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.out) as { tables: Array<{ table: string; rows: number }>; rows: number };
    expect(Object.fromEntries(printed.tables.map((t) => [t.table, t.rows]))).toEqual(
      Object.fromEntries(Object.entries(expected).map(([t, rows]) => [t, rows.length])),
    );
    expect(await postgresContents(sql, Object.keys(expected))).toEqual(expected);
  });

  it('moves the identities past the copied ids', async () => {
    const maxKey = Math.max(...(expected.api_keys as Array<{ id: number }>).map((k) => k.id));
    const [key] = await sql.unsafe<Array<{ id: number }>>(
      `INSERT INTO api_keys (api_key, key_hash) VALUES ('AIzaNewKey', 'new-hash') RETURNING id`,
    );
    expect(key!.id).toBe(maxKey + 1);
    const maxUsage = Math.max(...(expected.api_key_usage as Array<{ id: number }>).map((r) => r.id));
    const [usage] = await sql.unsafe<Array<{ id: number }>>(
      `INSERT INTO api_key_usage (endpoint, response_status, request_timestamp) VALUES ('embeddings', 200, 1) RETURNING id`,
    );
    expect(usage!.id).toBe(maxUsage + 1);
  });

  it('refuses a target that holds data, changing nothing, and replaces it with --force', async () => {
    const refused = await migrate(['--from', `sqlite:${source}`, '--to', url]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('not empty');
    expect(refused.err).toContain('--force');
    const [row] = await sql.unsafe<Array<{ n: number }>>('SELECT count(*)::int AS n FROM api_keys');
    expect(row!.n).toBe(expected.api_keys!.length + 1);

    const forced = await migrate(['--from', `sqlite:${source}`, '--to', url, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/api_key_usage\s+2500/);
    expect(forced.out).toContain(`Copied ${Object.values(expected).reduce((s, r) => s + r.length, 0)} rows`);
    expect(await postgresContents(sql, Object.keys(expected))).toEqual(expected);
  });

  it('says what is wrong with the arguments, without the password', async () => {
    const noFile = await migrate(['--from', `sqlite:${join(dir, 'absent.sqlite')}`, '--to', url]);
    expect(noFile.code).toBe(1);
    expect(noFile.err).toContain('no SQLite file');
    const badTarget = await migrate(['--from', `sqlite:${source}`, '--to', 'mysql://u:hunter2@db/x']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.err).not.toContain('hunter2');
    const missing = await migrate(['--from', `sqlite:${source}`]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--to');
  });
});
