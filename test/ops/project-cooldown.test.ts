/** Project labels: set on import and by PATCH, and a 429 for model M cools every key of the project for M only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat, keysByMask } from './helpers.js';

const A1 = fakeKey('proj-a1');
const A2 = fakeKey('proj-a2');
const B1 = fakeKey('proj-b1');
const LONE = fakeKey('proj-lone');
const LABELLED = fakeKey('proj-tagged');
const UNLABELLED = fakeKey('proj-bare');

let mock: MockGemini;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url });
  const res = await gw.admin('POST', '/keys', {
    text: [`${A1},a@example.com,proj-a`, `${A2},,proj-a`, `${B1},b@example.com,proj-b`, LONE].join('\n'),
  });
  expect(res.body).toEqual({ added: 4, duplicates: 0, invalid: 0 });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

describe('project-aware cooldowns', () => {
  it('imports `key,email,project` and returns the label in the admin API', async () => {
    const keys = await keysByMask(gw);
    expect(keys.get(maskKey(A1))).toMatchObject({ gmail_email: 'a@example.com', project: 'proj-a' });
    expect(keys.get(maskKey(A2))).toMatchObject({ gmail_email: null, project: 'proj-a' });
    expect(keys.get(maskKey(B1)).project).toBe('proj-b');
    expect(keys.get(maskKey(LONE)).project).toBeNull();
  });

  it('a 429 for one model cools every key of that project for that model only', async () => {
    mock.setKey(A1, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '58s' });
    // Round robin starts at A1: its 429 cools A1 and A2 for flash, and the request moves on.
    expect((await chat(gw)).status).toBe(200);
    const keys = await keysByMask(gw);
    const a1 = keys.get(maskKey(A1));
    const a2 = keys.get(maskKey(A2));
    expect(a1.state).toBe('cooling');
    expect(a2.state).toBe('cooling');
    expect(a2.cooldowns).toEqual(a1.cooldowns);
    expect(a2.cooldowns).toEqual([
      { model: 'gemini-2.5-flash', until: expect.any(String), reason: 'per_minute' },
    ]);
    expect(keys.get(maskKey(B1)).state).toBe('active');
    expect(keys.get(maskKey(LONE)).state).toBe('active');

    // Flash goes only to the other project and the unlabelled key; A2 was never asked.
    mock.reset();
    for (let i = 0; i < 6; i++) expect((await chat(gw)).status).toBe(200);
    expect(mock.stats().byKey).toEqual({ [maskKey(B1)]: 3, [maskKey(LONE)]: 3 });

    // Another model still uses both keys of the project.
    mock.reset();
    for (let i = 0; i < 8; i++) expect((await chat(gw, 'gemini-2.5-pro')).status).toBe(200);
    const pro = mock.stats().byKey;
    expect(pro[maskKey(A1)]).toBe(2);
    expect(pro[maskKey(A2)]).toBe(2);
  });

  it('PATCH sets and clears a label; the next 429 follows the new grouping', async () => {
    const keys = await keysByMask(gw);
    const lone = keys.get(maskKey(LONE));
    const set = await gw.admin('PATCH', `/keys/${lone.id}`, { project: 'proj-b' });
    expect(set.status).toBe(200);
    expect(set.body.key.project).toBe('proj-b');

    mock.reset();
    mock.setKey(B1, { rateLimit: 'per_minute', models: ['gemini-2.5-pro'], retryDelay: '30s' });
    // Until B1 is hit, pro requests may go anywhere; afterwards B1 and LONE both cool for pro.
    for (let i = 0; i < 4; i++) expect((await chat(gw, 'gemini-2.5-pro')).status).toBe(200);
    const after = await keysByMask(gw);
    expect(after.get(maskKey(LONE)).cooldowns).toEqual(after.get(maskKey(B1)).cooldowns);
    expect(after.get(maskKey(LONE)).cooldowns.map((c: any) => c.model)).toEqual(['gemini-2.5-pro']);

    const cleared = await gw.admin('PATCH', `/keys/${lone.id}`, { project: null });
    expect(cleared.body.key.project).toBeNull();
    expect((await gw.admin('PATCH', `/keys/${lone.id}`, { project: 'no spaces' })).status).toBe(400);
  });

  it('records the project a 403 names when the key has none, and keeps an existing label', async () => {
    const added = await gw.admin('POST', '/keys', { text: `${LABELLED},,team-x\n${UNLABELLED}` });
    expect(added.body.added).toBe(2);
    mock.setKey(LABELLED, 'suspended');
    mock.setKey(UNLABELLED, 'suspended');
    for (let i = 0; i < 6; i++) await chat(gw, 'gemini-2.5-flash-lite');
    const keys = await keysByMask(gw);
    expect(keys.get(maskKey(LABELLED))).toMatchObject({ state: 'disabled', project: 'team-x' });
    expect(keys.get(maskKey(UNLABELLED))).toMatchObject({ state: 'disabled' });
    expect(keys.get(maskKey(UNLABELLED)).project).toMatch(/^\d{12}$/);
  });
});
