/**
 * Access-token rules on the real gateway (in process, real SQLite file, mock upstream over loopback)
 * with a hand-driven clock: allow-lists, expiry, pause, each limit and its reset, key groups, and
 * refusals that reach no upstream and charge no key.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/crypto.js';
import type { TokenRules } from '../../src/core/types.js';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { startInProcess, type InProcess } from './in-process.js';

/** 06:58:30 UTC on a summer day: the Pacific day (PDT) ends at 07:00:00 UTC, the minute at 06:59:00. */
const T0 = Date.UTC(2026, 5, 1, 6, 58, 30);
const MINUTE_END = Date.UTC(2026, 5, 1, 6, 59, 0);
const DAY_END = Date.UTC(2026, 5, 1, 7, 0, 0);
const K1 = fakeKey('rules-1');
const K2 = fakeKey('rules-2');
const TEAM = fakeKey('rules-team');

let mock: MockGemini;
let gp: InProcess;
let nextToken = 0;

beforeAll(async () => {
  mock = await startMockGemini();
});
afterAll(async () => {
  await mock?.close();
});
beforeEach(async () => {
  mock.reset();
  gp = await startInProcess({ upstreamUrl: mock.url, t0: T0 });
  await gp.addKeys([K1, K2, TEAM]);
  const team = gp.gateway.service.pool.list().find((k) => k.apiKey === TEAM)!;
  await gp.storage.keys.setKeysGroup([team.id], 'team', T0);
  await gp.gateway.service.refresh();
});
afterEach(async () => {
  await gp?.close();
});

/** A token with these rules; returns its secret and id. */
async function token(rules: Partial<TokenRules>): Promise<{ secret: string; id: number }> {
  const secret = `gkp_rules_test_${++nextToken}_0123456789abcdef`;
  const t = await gp.storage.tokens.createToken(
    { name: `t${nextToken}`, hash: await sha256Hex(secret), hint: 'h', source: 'api', rules },
    gp.clock.now(),
  );
  return { secret, id: t.id };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
}

async function send(path: string, secret: string, body: unknown): Promise<Answer> {
  const res = await gp.gateway.app.fetch(
    new Request(`http://gateway${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    {},
    { waitUntil: () => {}, passThroughOnException: () => {}, props: {} },
  );
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

const chat = (secret: string, model = 'gemini-2.5-flash') =>
  send('/v1/chat/completions', secret, { model, messages: [{ role: 'user', content: 'hi' }] });
const native = (secret: string, model = 'gemini-2.5-flash') =>
  send(`/v1beta/models/${model}:generateContent`, secret, { contents: [{ parts: [{ text: 'hi' }] }] });

/** Requests the upstream answered, and every key's stored request count after a flush. */
async function charged(): Promise<{ upstream: number; keyRequests: number }> {
  await gp.gateway.flush();
  const row = gp.db.prepare('SELECT SUM(total_requests) AS n FROM api_keys').get() as { n: number };
  return { upstream: mock.stats().requests, keyRequests: row.n };
}

describe('token rules', () => {
  it('allow-list: matching models pass, others get 403 in the route dialect, reaching nothing', async () => {
    const { secret } = await token({ models: ['gemini-2.5-flash*', 'gemini-*-preview'] });
    expect((await chat(secret)).status).toBe(200);
    expect((await chat(secret, 'gemini-3-flash-preview')).status).toBe(200);
    expect((await native(secret)).status).toBe(200);
    const before = await charged();
    const openai = await chat(secret, 'gemini-2.5-pro');
    expect(openai.status).toBe(403);
    expect(openai.body.error).toMatchObject({ code: 'model_not_allowed', type: 'permission_error' });
    expect(openai.body.error.message).toContain('gemini-2.5-pro');
    const gemini = await native(secret, 'gemini-2.5-pro');
    expect(gemini.status).toBe(403);
    expect(gemini.body.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(await charged()).toEqual(before);
  });

  it('expiry applies at the second, as 401 in each dialect', async () => {
    const { secret } = await token({ expiresAt: T0 + 5000 });
    gp.clock.t = T0 + 4999;
    expect((await chat(secret)).status).toBe(200);
    const before = await charged();
    gp.clock.t = T0 + 5000;
    const openai = await chat(secret);
    expect(openai.status).toBe(401);
    expect(openai.body.error).toMatchObject({ code: 'token_expired', type: 'authentication_error' });
    expect(openai.body.error.message).toContain(new Date(T0 + 5000).toISOString());
    expect((await native(secret)).body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(await charged()).toEqual(before);
  });

  it('a paused token is refused until it is enabled again', async () => {
    const { secret, id } = await token({ enabled: false });
    const refused = await chat(secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('token_paused');
    expect((await native(secret)).status).toBe(401);
    expect(mock.stats().requests).toBe(0);
    await gp.storage.tokens.updateToken(id, { enabled: true });
    gp.clock.t += 20_001; // past the verdict cache of another process
    expect((await chat(secret)).status).toBe(200);
  });

  it('rpm: stops at the limit with Retry-After to the minute end, counts no refusal, resets next minute', async () => {
    const { secret, id } = await token({ rpm: 2 });
    expect((await chat(secret)).status).toBe(200);
    expect((await native(secret)).status).toBe(200);
    const before = await charged();
    for (let i = 0; i < 3; i++) {
      const refused = await chat(secret);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: 'token_limit_reached', type: 'rate_limit_error' });
      expect(refused.body.error.message).toContain('rpm limit of 2');
      expect(refused.retryAfter).toBe(String((MINUTE_END - T0) / 1000));
    }
    const gemini = await native(secret);
    expect(gemini.status).toBe(429);
    expect(gemini.body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(await charged()).toEqual(before);
    const stored = gp.db
      .prepare(
        "SELECT count FROM local_limit_counts WHERE subject = ? AND model = 'requests' AND period = 'minute'",
      )
      .pluck()
      .get(`t:${id}`);
    expect(stored).toBe(2);
    gp.clock.t = MINUTE_END;
    expect((await chat(secret)).status).toBe(200);
  });

  it('rpd: stops until the Pacific midnight, then resets', async () => {
    const { secret } = await token({ rpd: 2 });
    expect((await chat(secret)).status).toBe(200);
    gp.clock.t = MINUTE_END + 1000;
    expect((await chat(secret)).status).toBe(200);
    const refused = await chat(secret);
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain('rpd limit of 2 (requests per day)');
    expect(refused.retryAfter).toBe(String((DAY_END - gp.clock.t) / 1000));
    gp.clock.t = DAY_END - 1;
    expect((await chat(secret)).status).toBe(429);
    gp.clock.t = DAY_END;
    expect((await chat(secret)).status).toBe(200);
    expect(mock.stats().requests).toBe(3);
  });

  it('tpm and tpd: the tokens recorded stop the next request, until the window ends', async () => {
    const perMinute = await token({ tpm: 1 });
    const perDay = await token({ tpd: 1 });
    const first = await chat(perMinute.secret);
    expect(first.status).toBe(200);
    expect(first.body.usage.total_tokens).toBeGreaterThan(0);
    const refused = await chat(perMinute.secret);
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain('tpm limit of 1 (tokens per minute)');
    // Still refused once the counts are stored, and from storage alone (a restart, another process).
    await gp.gateway.flush();
    expect((await chat(perMinute.secret)).status).toBe(429);
    expect((await native(perDay.secret)).status).toBe(200);
    expect((await native(perDay.secret)).status).toBe(429);
    gp.clock.t = MINUTE_END;
    expect((await chat(perMinute.secret)).status).toBe(200);
    const daily = await chat(perDay.secret);
    expect(daily.status).toBe(429);
    expect(daily.retryAfter).toBe(String((DAY_END - MINUTE_END) / 1000));
    gp.clock.t = DAY_END;
    expect((await chat(perDay.secret)).status).toBe(200);
    expect(mock.stats().requests).toBe(4);
  });

  it('a group-bound token uses only its group; a token without a group never uses it; * uses any', async () => {
    const team = await token({ keyGroup: 'team' });
    const plain = await token({});
    const any = await token({ keyGroup: '*' });
    for (let i = 0; i < 4; i++) expect((await chat(team.secret)).status).toBe(200);
    expect(mock.stats().byKey).toEqual({ [maskKey(TEAM)]: 4 });
    mock.reset();
    for (let i = 0; i < 4; i++) expect((await chat(plain.secret)).status).toBe(200);
    expect(Object.keys(mock.stats().byKey).sort()).toEqual([maskKey(K1), maskKey(K2)].sort());
    mock.reset();
    for (let i = 0; i < 6; i++) expect((await chat(any.secret)).status).toBe(200);
    expect(Object.keys(mock.stats().byKey)).toHaveLength(3);
    const nobody = await token({ keyGroup: 'empty' });
    expect((await chat(nobody.secret)).status).toBe(503);
  });

  it('100 parallel requests against rpm 10 let exactly 10 through, and usage rows name the token', async () => {
    const { secret, id } = await token({ rpm: 10 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => chat(secret)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(90);
    expect(mock.stats().requests).toBe(10);
    await gp.gateway.flush();
    const rows = gp.db.prepare('SELECT access_token_id FROM api_key_usage').pluck().all();
    expect(rows).toEqual(Array(10).fill(id));
  });
});
