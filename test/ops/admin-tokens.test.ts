/** The admin API of token rules and key groups on the real Node gateway. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

const K1 = fakeKey('admin-tok-1');
const K2 = fakeKey('admin-tok-2');

let mock: MockGemini;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

async function chatWith(secret: string, model = 'gemini-2.5-flash'): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('admin API: token rules', () => {
  it('creates a token with rules, refuses bad ones by field, changes them, and shows use against limits', async () => {
    const created = await gw.admin('POST', '/tokens', {
      name: 'class',
      models: ['gemini-2.5-flash*'],
      rpm: 60,
      tpd: 100_000,
      expires_at: '2099-01-01',
      key_group: '*',
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatchObject({
      name: 'class',
      models: ['gemini-2.5-flash*'],
      rpm: 60,
      rpd: null,
      tpm: null,
      tpd: 100_000,
      expires_at: '2099-01-01T00:00:00.000Z',
      key_group: '*',
      enabled: true,
    });
    const id = created.body.token.id as number;

    for (const [body, param] of [
      [{ name: 'x', rpm: -1 }, 'rpm'],
      [{ name: 'x', models: 'all' }, 'models'],
      [{ name: 'x', expires_at: 'soon' }, 'expires_at'],
      [{ name: 'x', key_group: 'a b' }, 'key_group'],
    ] as const) {
      const bad = await gw.admin('POST', '/tokens', body);
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe(param);
    }
    expect((await gw.admin('GET', '/tokens')).body.tokens.map((t: any) => t.name)).not.toContain('x');

    await gw.admin('POST', '/keys', { text: `${K1}\n${K2}` });
    const secret = created.body.secret as string;
    expect((await chatWith(secret)).status).toBe(200);
    expect((await chatWith(secret, 'gemini-2.5-pro')).status).toBe(403);

    const listed = (await gw.admin('GET', '/tokens')).body.tokens.find((t: any) => t.id === id);
    expect(listed.usage.minute.requests).toBe(1);
    expect(listed.usage.day.requests).toBe(1);

    const patched = await gw.admin('PATCH', `/tokens/${id}`, { enabled: false, rpm: null, name: 'class-b' });
    expect(patched.status).toBe(200);
    expect(patched.body.token).toMatchObject({ name: 'class-b', enabled: false, rpm: null, tpd: 100_000 });
    const paused = await chatWith(secret);
    expect(paused.status).toBe(401);
    expect(((await paused.json()) as any).error.code).toBe('token_paused');
    expect((await gw.admin('PATCH', `/tokens/${id}`, {})).status).toBe(400);
    expect((await gw.admin('PATCH', `/tokens/${id}`, { tpm: 1.5 })).body.error.param).toBe('tpm');
    expect((await gw.admin('PATCH', '/tokens/99999', { rpm: 1 })).status).toBe(404);

    // Per-token counters, labelled by id and name, never by secret.
    const metrics = await (
      await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.adminToken}` } })
    ).text();
    const labels = `token_id="${id}",token_name="class"`;
    expect(metrics).toContain(`gkp_token_requests_total{${labels},result="admitted"} 1`);
    expect(metrics).toContain(`gkp_token_requests_total{${labels},result="model_not_allowed"} 1`);
    // A renamed token is labelled by its name at the time of the request.
    expect(metrics).toContain(
      `gkp_token_requests_total{token_id="${id}",token_name="class-b",result="token_paused"} 1`,
    );
    expect(metrics).toMatch(new RegExp(`gkp_token_tokens_total\\{${labels}\\} [1-9]`));
    expect(metrics).not.toContain(secret);
  });

  it('filters usage and stats by token', async () => {
    const a = await gw.admin('POST', '/tokens', { name: 'a' });
    const b = await gw.admin('POST', '/tokens', { name: 'b' });
    expect((await chatWith(a.body.secret)).status).toBe(200);
    expect((await chatWith(b.body.secret)).status).toBe(200);
    expect((await chatWith(b.body.secret)).status).toBe(200);
    const usage = await gw.admin('GET', `/usage?token_id=${b.body.token.id}`);
    expect(usage.body.usage.map((r: any) => r.token_id)).toEqual([b.body.token.id, b.body.token.id]);
    const stats = await gw.admin('GET', `/stats?range=hour&token_id=${a.body.token.id}`);
    expect(stats.body.totals.requests).toBe(1);
    expect((await gw.admin('GET', '/usage?token_id=x')).status).toBe(400);
  });
});

describe('admin API: key groups', () => {
  it('imports a group as the fourth field, edits it, sets it in bulk and filters by it', async () => {
    const K3 = fakeKey('admin-grp-3');
    const K4 = fakeKey('admin-grp-4');
    expect((await gw.admin('POST', '/keys', { text: `${K3},,,team-a\n${K4}` })).body.added).toBe(2);
    const byGroup = async (group: string) =>
      (await gw.admin('GET', `/keys?group=${group}`)).body.keys.map((k: any) => k.key);
    expect(await byGroup('team-a')).toEqual([maskKey(K3)]);
    const k4 = (await gw.admin('GET', '/keys?q=' + K4.slice(-4))).body.keys[0];
    expect(k4.group).toBeNull();
    expect((await gw.admin('PATCH', `/keys/${k4.id}`, { group: 'team-a' })).body.key.group).toBe('team-a');
    expect((await byGroup('team-a')).sort()).toEqual([maskKey(K3), maskKey(K4)].sort());
    const bulk = await gw.admin('POST', '/keys/bulk', { action: 'set-group', ids: [k4.id], group: null });
    expect(bulk.body.affected).toBe(1);
    expect(await byGroup('team-a')).toEqual([maskKey(K3)]);
    expect(await byGroup('-')).toContain(maskKey(K4));
    expect((await gw.admin('PATCH', `/keys/${k4.id}`, { group: 'bad group' })).status).toBe(400);
    expect((await gw.admin('GET', '/keys?group=bad%20group')).status).toBe(400);

    // A token bound to team-a uses only K3.
    const team = await gw.admin('POST', '/tokens', { name: 'team', key_group: 'team-a' });
    mock.reset();
    for (let i = 0; i < 3; i++) expect((await chatWith(team.body.secret)).status).toBe(200);
    expect(mock.stats().byKey).toEqual({ [maskKey(K3)]: 3 });
  });
});
