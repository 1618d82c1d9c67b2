import { describe, expect, it } from 'vitest';
import { startMockGemini, type MockStats } from '../fixtures/mock-gemini/index.js';
import { bearer, googKey, KEY, post } from './helpers.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();

const CHAT = '/v1beta/openai/chat/completions';
const chatBody = { model: 'gemini-2.5-flash', messages: [{ content: 'hi' }] };
const control = (action: string, body: unknown) => post(`${mock().url}/__mock/${action}`, body);
const httpStats = async () => (await (await fetch(`${mock().url}/__mock/stats`)).json()) as MockStats;

describe('mock gemini: HTTP control API', () => {
  it('POST /__mock/keys sets a key behaviour', async () => {
    expect((await control('keys', { apiKey: KEY, behavior: 'suspended' })).status).toBe(200);
    expect((await post(mock().url + CHAT, chatBody, bearer())).status).toBe(403);
    await control('keys', { apiKey: KEY, behavior: { rateLimit: 'per_day', models: ['gemini-2.5-pro'] } });
    expect((await post(mock().url + CHAT, chatBody, bearer())).status).toBe(200);
    const pro = await post(mock().url + CHAT, { ...chatBody, model: 'gemini-2.5-pro' }, bearer());
    expect(pro.status).toBe(429);
  });

  it('rejects malformed control requests', async () => {
    expect((await control('keys', { apiKey: KEY, behavior: 'nope' })).status).toBe(400);
    expect((await control('keys', { behavior: 'invalid' })).status).toBe(400);
    expect((await control('keys', { apiKey: KEY, behavior: { rateLimit: 'hourly' } })).status).toBe(400);
    expect((await control('configure', 'not json')).status).toBe(400);
  });

  it('POST /__mock/configure merges options; faultCount null means unlimited', async () => {
    await control('configure', { fault: 'empty-200', faultCount: 1 });
    expect(await (await post(mock().url + CHAT, chatBody, bearer())).text()).toBe('');
    expect((await post(mock().url + CHAT, chatBody, bearer())).status).toBe(200);
    await control('configure', { fault: 'garbage-200', faultCount: null });
    for (let i = 0; i < 3; i++)
      expect(await (await post(mock().url + CHAT, chatBody, bearer())).text()).toBe('{"choi');
    await control('configure', { streamChunks: 5, fault: null });
    const stream = await (await post(mock().url + CHAT, { ...chatBody, stream: true }, bearer())).text();
    expect(stream.match(/^data: \{/gm)).toHaveLength(5);
  });

  it('GET /__mock/stats and POST /__mock/reset; control calls are not counted', async () => {
    await post(mock().url + CHAT, chatBody, bearer());
    await post(mock().url + '/v1beta/models/gemini-pro:generateContent', { contents: [] }, googKey());
    const stats = await httpStats();
    expect(stats.requests).toBe(2);
    expect(stats.byStatus).toEqual({ 200: 1, 404: 1 });
    expect(stats.byPath).toEqual({ [CHAT]: 1, '/v1beta/models/gemini-pro:generateContent': 1 });
    expect(stats.ok).toBe(1);
    await control('keys', { apiKey: KEY, behavior: 'invalid' });
    expect((await control('reset', {})).status).toBe(200);
    expect(await httpStats()).toEqual({
      requests: 0,
      byKey: {},
      byStatus: {},
      byPath: {},
      ok: 0,
      aborted: 0,
      keyInQuery: 0,
      byResource: {},
      uploadedBytes: 0,
      lastHeaders: {},
    });
    expect((await post(mock().url + CHAT, chatBody, bearer())).status).toBe(200);
  });

  it('reset() returns options to those given at start', async () => {
    const other = await startMockGemini({ streamChunks: 2 });
    try {
      other.configure({ streamChunks: 6 });
      other.reset();
      const text = await (await post(other.url + CHAT, { ...chatBody, stream: true }, bearer())).text();
      expect(text.match(/^data: \{/gm)).toHaveLength(2);
    } finally {
      await other.close();
    }
  });
});

describe('mock gemini: stats never hold a full key', () => {
  it('masks keys in byKey and lastHeaders, whether sent as bearer, header or query', async () => {
    const keys = [
      KEY,
      'AIzaSyANOTHER00000000000000000000000Ab34',
      'AIzaSyTHIRD000000000000000000000000Cd56',
    ] as const;
    await post(mock().url + CHAT, chatBody, bearer(keys[0]));
    await post(
      mock().url + '/v1beta/models/gemini-2.5-flash:countTokens',
      { contents: [] },
      googKey(keys[1]),
    );
    await fetch(`${mock().url}/v1beta/models?key=${keys[2]}`);
    await post(mock().url + CHAT, chatBody, { ...bearer(keys[0]), 'x-goog-api-key': keys[1] });

    for (const stats of [mock().stats(), await httpStats()]) {
      const text = JSON.stringify(stats);
      for (const key of keys) {
        expect(text).not.toContain(key);
        expect(text).not.toContain(key.slice(4, -4));
      }
      expect(stats.byKey).toEqual({ 'AIza…Xy12': 2, 'AIza…Ab34': 1, 'AIza…Cd56': 1 });
      expect(stats.keyInQuery).toBe(1);
      expect(stats.lastHeaders.authorization).toBe('Bearer AIza…Xy12');
      expect(stats.lastHeaders['x-goog-api-key']).toBe('AIza…Ab34');
      expect(stats.lastHeaders['content-type']).toBe('application/json');
    }
  });

  it('never shows a short key in full either', async () => {
    await post(mock().url + CHAT, chatBody, bearer('short-key'));
    await post(mock().url + CHAT, chatBody, bearer('abc'));
    const text = JSON.stringify(mock().stats());
    expect(text).not.toContain('short-key');
    expect(text).not.toContain('abc');
  });
});
