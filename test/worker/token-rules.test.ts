/**
 * Access-token rules on Workers with D1: refusals in each dialect that reach no upstream, exact
 * request limits (one atomic D1 statement before the fetch), resets at the minute and the Pacific
 * day with a hand-driven clock, key groups, and what a limited token adds to D1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from '../../src/runtime/worker/worker.js';
import { type D1Call, countingD1 } from './counting-d1.js';
import { ORIGIN, adminRequest, call, chatRequest, geminiKey, masked, mock } from './harness.js';

type Event = { d1: D1Call } | { upstream: string };
const events: Event[] = [];

/** 06:58:30 UTC on a summer day: the minute ends at 06:59:00, the Pacific day (PDT) at 07:00:00. */
const T0 = Date.UTC(2026, 5, 1, 6, 58, 30);
const MINUTE_END = Date.UTC(2026, 5, 1, 6, 59, 0);
const DAY_END = Date.UTC(2026, 5, 1, 7, 0, 0);
let now = T0;
const worker = createWorker({
  database: (bindings) => countingD1(bindings.LOG, (d1) => events.push({ d1 })),
  fetch: (input, init) => {
    events.push({ upstream: new Request(input, init).url });
    return fetch(input, init);
  },
  clock: { now: () => now },
  logger: () => {},
});

const KEY = geminiKey('rules', 1);
const TEAM = geminiKey('rulesteam', 1);

async function token(name: string, rules: Record<string, unknown>): Promise<string> {
  const res = await call(worker, adminRequest('POST', '/admin/api/tokens', { name, ...rules }));
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

const chat = (secret: string, model = 'gemini-2.5-flash') =>
  call(worker, chatRequest({ model, messages: [{ role: 'user', content: 'hi' }] }, secret));
const native = (secret: string, model = 'gemini-2.5-flash') =>
  call(
    worker,
    new Request(`${ORIGIN}/v1beta/models/${model}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': secret, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
    }),
  );

/** Requests the mock received with this file's keys. */
async function upstreamCalls(): Promise<number> {
  const { byKey } = await mock.stats();
  return (byKey[masked(KEY)] ?? 0) + (byKey[masked(TEAM)] ?? 0);
}

beforeAll(async () => {
  await mock.setKey(KEY, 'ok');
  await mock.setKey(TEAM, 'ok');
  const added = await call(
    worker,
    adminRequest('POST', '/admin/api/keys', { text: `${KEY}\n${TEAM},,,wteam` }),
  );
  expect(added.status, await added.clone().text()).toBe(200);
});

describe('token rules on Workers + D1', () => {
  it('refuses a model outside the allow-list with 403 in each dialect, reaching nothing', async () => {
    const secret = await token('models', { models: ['gemini-2.5-flash*'] });
    expect((await chat(secret)).status).toBe(200);
    const before = await upstreamCalls();
    const openai = await chat(secret, 'gemini-2.5-pro');
    expect(openai.status).toBe(403);
    expect(((await openai.json()) as any).error).toMatchObject({
      code: 'model_not_allowed',
      type: 'permission_error',
    });
    const gemini = await native(secret, 'gemini-2.5-pro');
    expect(gemini.status).toBe(403);
    expect(((await gemini.json()) as any).error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(await upstreamCalls()).toBe(before);
  });

  it('refuses a paused token, and an expired one from the second it expires', async () => {
    const paused = await token('paused', { enabled: false });
    const refused = await native(paused);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).error.status).toBe('UNAUTHENTICATED');
    const expiring = await token('expiring', { expires_at: new Date(T0 + 2000).toISOString() });
    now = T0 + 1999;
    expect((await chat(expiring)).status).toBe(200);
    now = T0 + 2000;
    const expired = await chat(expiring);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as any).error.code).toBe('token_expired');
    now = T0;
  });

  it('lets exactly rpm requests through out of many in parallel, then resets at the minute', async () => {
    const secret = await token('rpm', { rpm: 4 });
    const before = await upstreamCalls();
    const statuses = await Promise.all(Array.from({ length: 12 }, () => chat(secret).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(await upstreamCalls()).toBe(before + 4);
    const refused = await chat(secret);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String((MINUTE_END - T0) / 1000));
    expect(((await refused.json()) as any).error.message).toContain('rpm limit of 4');
    now = MINUTE_END;
    expect((await chat(secret)).status).toBe(200);
    now = T0;
  });

  it('rpd, tpm and tpd reset at their window ends', async () => {
    const rpd = await token('rpd', { rpd: 1 });
    const tpm = await token('tpm', { tpm: 1 });
    const tpd = await token('tpd', { tpd: 1 });
    for (const secret of [rpd, tpm, tpd]) {
      expect((await chat(secret)).status).toBe(200);
      expect((await chat(secret)).status).toBe(429);
    }
    now = MINUTE_END;
    expect((await chat(rpd)).status).toBe(429);
    expect((await chat(tpm)).status).toBe(200);
    const daily = await chat(tpd);
    expect(daily.status).toBe(429);
    expect(daily.headers.get('retry-after')).toBe(String((DAY_END - MINUTE_END) / 1000));
    now = DAY_END;
    expect((await chat(rpd)).status).toBe(200);
    expect((await chat(tpd)).status).toBe(200);
  });

  it('a group-bound token uses only its group; a token without a group never uses it', async () => {
    const team = await token('team', { key_group: 'wteam' });
    const plain = await token('plain', {});
    const before = await mock.stats();
    for (let i = 0; i < 3; i++) expect((await chat(team)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await chat(plain)).status).toBe(200);
    const after = await mock.stats();
    expect((after.byKey[masked(TEAM)] ?? 0) - (before.byKey[masked(TEAM)] ?? 0)).toBe(3);
    expect((after.byKey[masked(KEY)] ?? 0) - (before.byKey[masked(KEY)] ?? 0)).toBe(3);
  });

  it('a limited token adds one D1 statement before the fetch, writing 2 rows; a token without limits adds none', async () => {
    const limited = await token('budget', { rpm: 1000, rpd: 100_000, tpm: 1_000_000, tpd: 10_000_000 });
    const plain = await token('budget-plain', {});
    for (const secret of [limited, plain]) expect((await chat(secret)).status).toBe(200); // verdicts cached

    const measure = async (secret: string) => {
      events.length = 0;
      expect((await chat(secret)).status).toBe(200);
      const first = events.findIndex((e) => 'upstream' in e);
      const d1 = (list: Event[]) => list.flatMap((e) => ('d1' in e ? [e.d1] : []));
      const before = d1(events.slice(0, first));
      const after = d1(events.slice(first));
      return {
        before,
        writtenBefore: before.reduce((n, c) => n + (c.rowsWritten ?? 0), 0),
        writtenAfter: after.reduce((n, c) => n + (c.rowsWritten ?? 0), 0),
      };
    };
    const p = await measure(plain);
    expect(p.before).toEqual([]);
    const l = await measure(limited);
    expect(l.before).toHaveLength(1);
    expect(l.before[0]!.sql[0]).toMatch(/^INSERT INTO local_limit_counts/);
    // The reservation updates the token's minute and day request counts.
    expect(l.writtenBefore).toBe(2);
    // After the response: the same batch as any request, plus the minute and day token counts.
    expect(l.writtenAfter - p.writtenAfter).toBe(2);
  });
});
