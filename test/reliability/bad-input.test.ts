/**
 * The bad-input corpus: every case gets the right 4xx (never a 500), the server keeps serving, and
 * nothing changes that should not: the key list, config and token list are compared before and
 * after each case, and no bad request ever reaches the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { readDb } from './helpers.js';
import { rawRequest } from './raw-http.js';
import {
  BODY_LIMIT_MB,
  chatBody,
  HTTP_CASES,
  json,
  RAW_CASES,
  SCRIPT,
  SQL,
  type Auth,
} from './bad-input-cases.js';

const KEYS = [fakeKey('corpus-a'), fakeKey('corpus-b'), fakeKey('corpus-c')];

let mock: MockGemini;
let gw: TestGateway;
let port: number;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: KEYS,
    env: { MAX_BODY_MB: String(BODY_LIMIT_MB) },
  });
  port = Number(new URL(gw.url).port);
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

function authHeaders(auth: Auth): Record<string, string> {
  if (auth === 'client') return { authorization: `Bearer ${gw.accessToken}` };
  if (auth === 'goog') return { 'x-goog-api-key': gw.accessToken };
  if (auth === 'admin') return { authorization: `Bearer ${gw.adminToken}` };
  return {};
}

function defaultAuth(path: string): Auth {
  if (path.startsWith('/v1/')) return 'client';
  if (path.startsWith('/v1beta/')) return 'goog';
  if (path.startsWith('/admin/api/')) return 'admin';
  return 'none';
}

/** What must not change: keys, config and tokens as the admin API shows them. */
async function snapshot(): Promise<unknown> {
  const [keys, config, tokens] = await Promise.all([
    gw.admin('GET', '/keys?page_size=500'),
    gw.admin('GET', '/config'),
    gw.admin('GET', '/tokens'),
  ]);
  // A token's last_used_at moves whenever it authenticates a request, bad or not.
  const tokenList = (tokens.body.tokens as Array<Record<string, unknown>>).map(
    ({ last_used_at: _, ...rest }) => rest,
  );
  return { keys: keys.body, config: config.body, tokens: tokenList };
}

async function stillServing(): Promise<void> {
  const health = await fetch(`${gw.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', keys: KEYS.length, usable_keys: KEYS.length });
}

function expectErrorShape(path: string, body: any, code: string | undefined, message = ''): void {
  expect(body.error.message).toContain(message);
  if (path.startsWith('/v1beta/') && !path.startsWith('/v1beta/openai/')) {
    expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message', 'status']);
    return;
  }
  expect(body.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
  if (code) expect(body.error.code).toBe(code);
}

describe('bad-input corpus', () => {
  it('has at least 40 cases', () => {
    expect(HTTP_CASES.length + RAW_CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of HTTP_CASES) {
    it(`${c.status} for ${c.name}`, async () => {
      const before = await snapshot();
      const upstreamBefore = mock.stats().requests;
      const headers: Record<string, string> = { ...authHeaders(c.auth ?? defaultAuth(c.path)), ...c.headers };
      const contentType = c.contentType === undefined ? 'application/json' : c.contentType;
      if (c.body !== undefined && contentType !== null) headers['content-type'] = contentType;
      const res = await fetch(gw.url + c.path, {
        method: c.method ?? (c.body === undefined ? 'GET' : 'POST'),
        headers,
        body: c.body as BodyInit | undefined,
      });
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBe(c.status);
      for (const [name, value] of Object.entries(c.answerHeaders ?? {}))
        expect(res.headers.get(name)).toBe(value);
      if (res.headers.get('content-type')?.includes('json'))
        expectErrorShape(c.path, JSON.parse(text), c.code, c.message);
      else expect(c.code).toBeUndefined();
      expect(mock.stats().requests).toBe(upstreamBefore);
      await stillServing();
      expect(await snapshot()).toEqual(before);
    });
  }

  for (const c of RAW_CASES) {
    it(`${c.status} for ${c.name} (raw)`, async () => {
      const before = await snapshot();
      const answer = await rawRequest(port, c.raw.replace('{auth}', gw.accessToken));
      expect(answer.status, answer.head.slice(0, 200)).toBe(c.status);
      expect(answer.body).not.toContain('"keys"');
      expect(answer.body).not.toContain('gemini-key-pool');
      expect(mock.stats().requests).toBe(0);
      await stillServing();
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe('SQL- and script-looking strings that are valid values are stored as inert text', () => {
  it('keeps an email verbatim on one key only, and the table intact', async () => {
    const before = (await gw.admin('GET', '/keys')).body.keys as Array<Record<string, unknown>>;
    const evil = `${SQL}${SCRIPT}`;
    const res = await gw.admin('PATCH', '/keys/1', { gmail_email: evil });
    expect(res.status).toBe(200);
    expect(res.body.key.gmail_email).toBe(evil);
    const after = (await gw.admin('GET', '/keys')).body.keys as Array<Record<string, unknown>>;
    expect(after).toHaveLength(KEYS.length);
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(readDb(gw.databasePath, (db) => db.prepare('SELECT COUNT(*) AS n FROM api_keys').get())).toEqual({
      n: KEYS.length,
    });
    expect((await gw.admin('PATCH', '/keys/1', { gmail_email: null })).body.key.gmail_email).toBeNull();
  });

  it('keeps a token name verbatim and answers it as JSON, never HTML', async () => {
    const name = `${SCRIPT}${SQL}`.slice(0, 100);
    const res = await fetch(`${gw.url}/admin/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
      body: json({ name }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const created = (await res.json()) as { token: { id: number; name: string } };
    expect(created.token.name).toBe(name);
    const tokens = (await gw.admin('GET', '/tokens')).body.tokens as Array<{ name: string }>;
    expect(tokens.filter((t) => t.name === name)).toHaveLength(1);
    expect((await gw.admin('DELETE', `/tokens/${created.token.id}`)).status).toBe(200);
  });

  it('matches nothing for a SQL-looking search or filter', async () => {
    const keys = await gw.admin('GET', `/keys?q=${encodeURIComponent("' OR '1'='1")}`);
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toEqual([]);
    const usage = await gw.admin('GET', `/usage?model=${encodeURIComponent("x' OR 1=1 --")}`);
    expect(usage.status).toBe(200);
    expect(usage.body.usage).toEqual([]);
  });
});

describe('a 10,000-line key import with junk lines', () => {
  it('adds exactly the valid keys, counts the junk as invalid, and keeps serving', async () => {
    const valid = Array.from({ length: 4000 }, (_, i) => fakeKey(`import${i}`));
    const withEmail = Array.from({ length: 500 }, (_, i) => `${fakeKey(`mailed${i}`)},user${i}@gmail.com`);
    const junk = [
      SQL,
      SCRIPT,
      'AIzaShort',
      `AIza${'x'.repeat(300)}`,
      `${fakeKey('bad-project')},a@b.c,${SQL}`,
      'a,b,c,d,e',
      `${fakeKey('long-mail')},${'m'.repeat(400)}`,
      '\u0000\u0001\u0002binary',
      'AIza key with spaces in it 12345',
      '../../etc/passwd',
      "'; DELETE FROM pool_config; --",
      'ＡＩｚａ full-width letters 0123456789',
    ];
    const blank = Array.from({ length: 497 }, (_, i) => (i % 2 ? '' : `# comment ${i}`));
    const fixed = [...valid, ...withEmail, ...valid.slice(0, 1000), ...KEYS, ...blank];
    const junkLines = Array.from({ length: 10_000 - fixed.length }, (_, i) => junk[i % junk.length]!);
    // Interleave deterministically, so junk sits between good lines.
    const lines = [...fixed, ...junkLines]
      .map((line, i) => ({ line, order: (i * 7919) % 10_007 }))
      .sort((a, b) => a.order - b.order)
      .map((entry) => entry.line);
    expect(lines).toHaveLength(10_000);
    const text = lines.join('\n');
    const res = await gw.admin('POST', '/keys', { text });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ added: 4500, duplicates: KEYS.length, invalid: junkLines.length });

    const list = await gw.admin('GET', '/keys?page_size=1');
    expect(list.body.total).toBe(KEYS.length + 4500);
    readDb(gw.databasePath, (db) => {
      const rows = db.prepare('SELECT api_key FROM api_keys').all() as Array<{ api_key: string }>;
      expect(rows).toHaveLength(KEYS.length + 4500);
      for (const { api_key } of rows) expect(api_key).toMatch(/^AIza[A-Za-z0-9_-]{35}$/);
      const config = db.prepare('SELECT COUNT(*) AS n FROM pool_config').get() as { n: number };
      expect(config.n).toBeGreaterThan(0);
    });
    await stillServingWith(KEYS.length + 4500);
    const answer = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
      body: chatBody(),
    });
    expect(answer.status).toBe(200);
  });
});

async function stillServingWith(keys: number): Promise<void> {
  const health = await fetch(`${gw.url}/healthz`);
  expect(await health.json()).toMatchObject({ status: 'ok', keys });
}
