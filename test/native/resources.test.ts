/**
 * Files, cached contents and batches through a rotating pool of single-key projects, driven by
 * `@google/genai`: every call that names a resource goes to the key whose project owns it.
 */
import type { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { maskKey } from '../fixtures/mock-gemini/index.js';
import { apiStatus, askAboutFile, askWithCache, fileContents, MODEL } from '../support/genai-resources.js';
import { fakeKey } from '../support/keys.js';
import type { KeyEntry } from '../../admin-ui/src/lib/types.js';
import { genai, keyByMask, usageRows, useNativeSuite } from './support.js';

const KEYS = [fakeKey('res-one'), fakeKey('res-two'), fakeKey('res-three'), fakeKey('res-four')];
const { mock, gw } = useNativeSuite(KEYS);

/** The masked key of the latest upload, from its usage row. */
async function uploadKey(): Promise<string> {
  const [row] = await usageRows(gw(), 'limit=1&endpoint=files.upload');
  return row!.key!;
}

/** The masked keys that named `name` upstream. */
const keysNaming = (name: string) => Object.keys(mock().stats().byResource[name] ?? {});

describe('project-bound resources through the pool', () => {
  it('a small upload, then generateContent and generateContentStream 10 times each, all on the owner', async () => {
    const ai = genai(gw());
    const file = await ai.files.upload({
      file: new Blob(['hello file'], { type: 'text/plain' }),
      config: { displayName: 'small' },
    });
    expect(file).toMatchObject({
      displayName: 'small',
      mimeType: 'text/plain',
      sizeBytes: '10',
      state: 'ACTIVE',
    });
    await askAboutFile(ai, file);
    const owners = keysNaming(file.name!);
    expect(owners).toHaveLength(1);
    expect(mock().stats().byResource[file.name!]?.[owners[0]!]).toBe(20);
    expect(mock().stats().byStatus[403]).toBeUndefined();
    const rows = await usageRows(gw(), 'limit=5&endpoint=files.upload');
    expect(rows[0]).toMatchObject({ status: 200, key: owners[0] });
  });

  it('a multi-chunk upload lands whole on one key; files.get, list and delete reach its owner', async () => {
    const ai = genai(gw());
    const bytes = new Uint8Array(17 * 1024 * 1024).fill(3);
    const file = await ai.files.upload({ file: new Blob([bytes], { type: 'application/pdf' }) });
    expect(file.sizeBytes).toBe(String(bytes.length));
    expect(mock().stats().uploadedBytes).toBe(bytes.length);
    const owner = await uploadKey();
    for (let i = 0; i < 4; i++) expect((await ai.files.get({ name: file.name! })).name).toBe(file.name);
    expect(keysNaming(file.name!)).toEqual([owner]);

    const listed: string[] = [];
    for await (const f of await ai.files.list({ config: { pageSize: 1 } })) listed.push(f.name!);
    expect(listed).toContain(file.name);
    await ai.files.delete({ name: file.name! });
    expect(await apiStatus(ai.files.get({ name: file.name! }))).toBe(403);
    // The 403 for a resource that is gone is the client's answer, not the key's fault.
    const key = await keyByMask(gw(), owner);
    expect(key.consecutive_errors).toBe(0);
  });

  it('caches: create, then generateContent with cachedContent 10 times; update and delete', async () => {
    const ai = genai(gw());
    const cache = await askWithCache(ai, '600s');
    // The OpenAI-compatible chat names the cache in `extra_body.google.cached_content`: its owner serves it too.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw().url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw().accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: 'user', content: 'q' }],
          extra_body: { google: { cached_content: cache.name } },
        }),
      });
      expect(res.status).toBe(200);
    }
    expect(Object.values(mock().stats().byResource[cache.name!] ?? {})).toEqual([14]);
    const updated = await ai.caches.update({ name: cache.name!, config: { ttl: '7200s' } });
    expect(Date.parse(updated.expireTime!)).toBeGreaterThan(Date.parse(cache.expireTime!));
    const names: string[] = [];
    for await (const c of await ai.caches.list()) names.push(c.name!);
    expect(names).toContain(cache.name);
    await ai.caches.delete({ name: cache.name! });
    expect(keysNaming(cache.name!)).toHaveLength(1);
    expect(mock().stats().byStatus[403]).toBeUndefined();
  });

  it('batches: create and get on the owner', async () => {
    const ai = genai(gw());
    const batch = await ai.batches.create({
      model: MODEL,
      src: [{ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
    });
    for (let i = 0; i < 4; i++) expect((await ai.batches.get({ name: batch.name! })).name).toBe(batch.name);
    expect(keysNaming(batch.name!)).toHaveLength(1);
  });

  it('the owner cooling gives 429 with Retry-After, and no other key is asked for the resource', async () => {
    const ai = genai(gw());
    const file = await ai.files.upload({ file: new Blob(['x'], { type: 'text/plain' }) });
    const owner = await uploadKey();
    const full = KEYS.find((k) => maskKey(k) === owner)!;
    mock().setKey(full, { rateLimit: 'per_minute', retryDelay: '40s' });
    const contents = [
      { role: 'user', parts: [{ fileData: { fileUri: file.uri!, mimeType: 'text/plain' } }] },
    ];
    const first = await fetch(`${gw().url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw().accessToken, 'content-type': 'application/json' },
      body: JSON.stringify({ contents }),
    });
    expect(first.status).toBe(429);
    const second = await fetch(`${gw().url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw().accessToken, 'content-type': 'application/json' },
      body: JSON.stringify({ contents }),
    });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(30);
    expect(keysNaming(file.name!)).toEqual([owner]);
    mock().setKey(full, 'ok');
  });

  it('the owner disabled gives 503, and no other key is asked for the resource', async () => {
    const ai = genai(gw());
    const file = await ai.files.upload({ file: new Blob(['y'], { type: 'text/plain' }) });
    const owner = await keyByMask(gw(), await uploadKey());
    const bulk = (action: string) => gw().admin('POST', '/keys/bulk', { action, ids: [owner.id] });
    expect((await bulk('disable')).status).toBe(200);
    try {
      const res = await fetch(`${gw().url}/v1beta/models/${MODEL}:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': gw().accessToken, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: fileContents([file]) }),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        'No usable API key',
      );
      expect(keysNaming(file.name!)).toEqual([]);
      expect(await apiStatus(ai.files.get({ name: file.name! }))).toBe(503);
    } finally {
      await bulk('enable');
    }
    expect((await ai.files.get({ name: file.name! })).name).toBe(file.name);
    expect(keysNaming(file.name!)).toEqual([owner.key]);
  });

  it("a cache is created on a key that can serve its model: another key, else the pool's 429", async () => {
    // Its own model, so the cooldowns it leaves do not touch the other tests.
    const model = 'gemini-2.0-flash';
    const ai = genai(gw());
    const [free, ...limited] = KEYS;
    for (const key of limited)
      mock().setKey(key, { rateLimit: 'per_minute', models: [model], retryDelay: '40s' });
    const cooling = async () => {
      const { keys } = (await gw().admin('GET', '/keys?page_size=500')).body as { keys: KeyEntry[] };
      return keys.filter((k) => k.cooldowns.some((c) => c.model === model)).map((k) => k.key);
    };
    for (let i = 0; i < 10 && (await cooling()).length < limited.length; i++) {
      await ai.models.generateContent({ model, contents: 'warm' });
    }
    expect((await cooling()).sort()).toEqual(limited.map(maskKey).sort());
    const config = { contents: [{ role: 'user', parts: [{ text: 'context' }] }], ttl: '60s' };
    for (let i = 0; i < KEYS.length; i++) {
      const cache = await ai.caches.create({ model, config });
      const [row] = await usageRows(gw(), 'limit=1&endpoint=cachedContents.create');
      expect(row).toMatchObject({ key: maskKey(free!), model });
      await ai.caches.delete({ name: cache.name! });
    }
    // The last key cools too: the pool's 429 with Retry-After, and Google is not asked.
    mock().setKey(free!, { rateLimit: 'per_minute', models: [model], retryDelay: '40s' });
    await ai.models.generateContent({ model, contents: 'warm' }).catch(() => undefined);
    const creates = () => mock().stats().byPath['/v1beta/cachedContents'] ?? 0;
    const before = creates();
    const res = await fetch(`${gw().url}/v1beta/cachedContents`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw().accessToken, 'content-type': 'application/json' },
      body: JSON.stringify({ model: `models/${model}`, ...config }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(30);
    expect(creates()).toBe(before);
    for (const key of KEYS) mock().setKey(key, 'ok');
  });

  it('a request naming resources of two projects gets 409 naming them; affinity keeps uploads together', async () => {
    const ai = genai(gw());
    const upload = (text: string) => ai.files.upload({ file: new Blob([text], { type: 'text/plain' }) });
    const a = await upload('a');
    const keyA = await uploadKey();
    // Within resource_affinity_seconds, one token's uploads stay on one key.
    await upload('a2');
    expect(await uploadKey()).toBe(keyA);
    expect((await gw().admin('PUT', '/config', { resource_affinity_seconds: 0 })).status).toBe(200);
    try {
      // Without affinity the strategy rotates: within as many uploads as keys, one lands elsewhere.
      let b = await upload('b');
      for (let i = 0; i < KEYS.length && (await uploadKey()) === keyA; i++) b = await upload('b');
      expect(await uploadKey()).not.toBe(keyA);
      const contents = [
        {
          role: 'user',
          parts: [a, b].map((f) => ({ fileData: { fileUri: f.uri!, mimeType: 'text/plain' } })),
        },
      ];
      const requests = mock().stats().requests;
      const err = (await ai.models
        .generateContent({ model: MODEL, contents })
        .catch((e: unknown) => e)) as ApiError;
      expect(err.status).toBe(409);
      expect(err.message).toContain(a.name);
      expect(err.message).toContain(b.name);
      expect(mock().stats().requests).toBe(requests);
    } finally {
      await gw().admin('PUT', '/config', { resource_affinity_seconds: 3600 });
    }
  });

  it('the admin API counts what each key owns, in the key list and the key detail', async () => {
    const ai = genai(gw());
    const listed = async () =>
      new Map(
        ((await gw().admin('GET', '/keys?page_size=500')).body.keys as KeyEntry[]).map((k) => [
          k.key,
          k.resources,
        ]),
      );
    const before = await listed();
    const file = await ai.files.upload({ file: new Blob(['owned'], { type: 'text/plain' }) });
    const owner = await keyByMask(gw(), await uploadKey());
    // A cache naming the file is created by the file's owner, so it counts there too.
    const contents = [
      { role: 'user', parts: [{ fileData: { fileUri: file.uri!, mimeType: 'text/plain' } }] },
    ];
    const cache = await ai.caches.create({ model: MODEL, config: { contents, ttl: '600s' } });
    const after = await listed();
    for (const [key, n] of before) expect(after.get(key), key).toBe(key === owner.key ? n + 2 : n);
    const detail = await gw().admin('GET', `/keys/${owner.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.key).toMatchObject({
      id: owner.id,
      key: owner.key,
      resources: before.get(owner.key)! + 2,
    });
    await ai.caches.delete({ name: cache.name! });
    await ai.files.delete({ name: file.name! });
    expect((await gw().admin('GET', `/keys/${owner.id}`)).body.key.resources).toBe(before.get(owner.key));
    expect((await gw().admin('GET', '/keys/999999')).status).toBe(404);
    expect((await gw().admin('GET', '/keys/abc')).status).toBe(400);
  });
});
