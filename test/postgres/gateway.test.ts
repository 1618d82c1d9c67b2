/** The Node gateway on PostgreSQL (`DATABASE_URL=postgres://…`), end to end through the mock upstream. */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';
import { chat, spawnGateway, spawnServer, freePort, until } from '../reliability/helpers.js';

describe.skipIf(postgresMissing())('a gateway on PostgreSQL', () => {
  let mock: MockGemini;
  let gateway: TestGateway;
  let sql: postgres.Sql;

  beforeAll(async () => {
    const url = await createTestDatabase();
    sql = postgres(url, { max: 1, onnotice: () => {} });
    mock = await startMockGemini();
    gateway = await startNodeGateway({
      upstreamUrl: mock.url,
      keys: [fakeKey('pg-a'), fakeKey('pg-b')],
      env: { DATABASE_URL: url },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await mock?.close();
    await sql?.end();
  });

  it('serves a chat completion and records it in the database', async () => {
    const res = await chat(gateway.url, gateway.accessToken);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: unknown[]; usage: { total_tokens: number } };
    expect(body.choices).toHaveLength(1);
    expect(body.usage.total_tokens).toBeGreaterThan(0);

    const usage = await until(async () => {
      const rows = await sql`SELECT api_key_id, endpoint, response_status, tokens_used FROM api_key_usage`;
      return rows.length > 0 && rows;
    }, 'the usage row');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ response_status: '200', tokens_used: String(body.usage.total_tokens) });
    const keys = await sql`SELECT COUNT(*)::int AS n, SUM(total_requests)::int AS requests FROM api_keys`;
    expect(keys[0]).toEqual({ n: 2, requests: 1 });
    const migrations = await sql`SELECT name FROM schema_migrations ORDER BY name`;
    expect(migrations.map((r) => r.name)).toEqual(['0001_init.sql', '0002_change_feed.sql']);
  });
});

describe.skipIf(postgresMissing())('the bundled server (`npm start`) on PostgreSQL', () => {
  it('finds its PostgreSQL migrations, serves, and refuses an unreachable database with a clear error', async () => {
    const mock = await startMockGemini();
    const env = {
      UPSTREAM_BASE_URL: mock.url,
      ADMIN_TOKEN: 'pg-bundle-admin-token-0123456789',
      ACCESS_TOKENS: 'pg-bundle-access-token-0123456789',
      GEMINI_API_KEYS: fakeKey('pg-bundle'),
    };
    const bundled = await spawnGateway({ ...env, DATABASE_URL: await createTestDatabase() });
    try {
      const res = await chat(bundled.url, env.ACCESS_TOKENS);
      expect(res.status).toBe(200);
      const port = await freePort();
      const refused = await spawnServer(await freePort(), {
        ...env,
        DATABASE_URL: `postgres://gkp:s3cret-pw@127.0.0.1:${port}/pool`,
      });
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toContain(
        `gemini-key-pool: cannot open the PostgreSQL database postgres://gkp:***@127.0.0.1:${port}/pool`,
      );
      expect(refused.output()).not.toContain('s3cret-pw');
    } finally {
      bundled.child.kill('SIGKILL');
      await mock.close();
    }
  });
});
