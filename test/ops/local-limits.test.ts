/** Local limits on the real Node gateway: traffic stops before Google's 429, per project and model, across a restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat } from './helpers.js';

const P1 = fakeKey('limit-p1');
const P2 = fakeKey('limit-p2');

let mock: MockGemini;
let dir: string;
let gw: TestGateway | undefined;

beforeAll(async () => {
  mock = await startMockGemini();
  dir = mkdtempSync(join(tmpdir(), 'gkp-limits-'));
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local limits', () => {
  it('stop a project at its daily limit for a model before Google answers 429, and hold across a restart', async () => {
    const databasePath = join(dir, 'pool.sqlite');
    gw = await startNodeGateway({ upstreamUrl: mock.url, databasePath, config: { local_rpd_limit: 4 } });
    expect((await gw.admin('POST', '/keys', { text: `${P1},,proj-l\n${P2},,proj-l` })).body.added).toBe(2);

    // Four requests between the two keys of the project: the project's whole daily budget for flash.
    for (let i = 0; i < 4; i++) expect((await chat(gw)).status).toBe(200);
    expect(mock.stats().byKey).toEqual({ [maskKey(P1)]: 2, [maskKey(P2)]: 2 });

    // From here Google would answer 429; the gateway must not even ask.
    mock.setKey(P1, { rateLimit: 'per_day', models: ['gemini-2.5-flash'] });
    mock.setKey(P2, { rateLimit: 'per_day', models: ['gemini-2.5-flash'] });
    const refused = await chat(gw);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('all_keys_cooling');
    const retryAfter = Number(refused.retryAfter);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(25 * 3600);
    expect(mock.stats().requests).toBe(4);
    expect(mock.stats().byStatus[429]).toBeUndefined();

    // Another model has its own budget.
    expect((await chat(gw, 'gemini-2.5-pro')).status).toBe(200);
    expect(mock.stats().requests).toBe(5);

    // The counts are in the database (written by the normal flush) and survive a restart.
    await gw.close();
    gw = undefined;
    const db = new Database(databasePath, { readonly: true });
    const rows = db
      .prepare("SELECT subject, model, count FROM local_limit_counts WHERE period = 'day' ORDER BY model")
      .all();
    db.close();
    expect(rows).toEqual([
      { subject: 'p:proj-l', model: 'gemini-2.5-flash', count: 4 },
      { subject: 'p:proj-l', model: 'gemini-2.5-pro', count: 1 },
    ]);
    gw = await startNodeGateway({ upstreamUrl: mock.url, databasePath });
    expect((await chat(gw)).status).toBe(429);
    expect(mock.stats().requests).toBe(5);

    // Turning the limit off lets traffic through at once.
    mock.reset();
    expect((await gw.admin('PUT', '/config', { local_rpd_limit: 0 })).status).toBe(200);
    expect((await chat(gw)).status).toBe(200);
    expect(mock.stats().requests).toBe(1);
  });

  it('reject limits that are not whole numbers, and describe them in the config API', async () => {
    gw ??= await startNodeGateway({ upstreamUrl: mock.url, databasePath: join(dir, 'pool.sqlite') });
    expect((await gw.admin('PUT', '/config', { local_rpm_limit: -1 })).status).toBe(400);
    expect((await gw.admin('PUT', '/config', { local_rpd_limit: 'lots' })).status).toBe(400);
    const config = (await gw.admin('GET', '/config')).body.config as any[];
    const keys = config.map((c) => c.key);
    expect(keys).toEqual(
      expect.arrayContaining(['local_rpm_limit', 'local_rpd_limit', 'revalidate_interval_minutes']),
    );
    expect(config.find((c) => c.key === 'local_rpm_limit')).toMatchObject({ default: '0' });
  });
});
