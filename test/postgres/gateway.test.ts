/** The Node gateway on PostgreSQL (`DATABASE_URL=postgres://…`), end to end through the mock upstream. */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';
import { chat, until } from '../reliability/helpers.js';

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
