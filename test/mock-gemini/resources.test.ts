/**
 * The mock's project-bound resources, driven by `@google/genai` straight at the mock: uploads,
 * files, caches, batches, and Google's 403 for another project's key.
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { apiStatus, MODEL } from '../support/genai-resources.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();
const KEY_A = 'AIzaSyRESOURCE-A-000000000000000000Aa01';
const KEY_A2 = 'AIzaSyRESOURCE-A2-00000000000000000Aa02';
const KEY_B = 'AIzaSyRESOURCE-B-000000000000000000Bb01';

const client = (apiKey: string) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: mock().url } });

describe('mock Gemini: project-bound resources', () => {
  it('uploads in several chunks; the file serves its project and is refused to another', async () => {
    mock().setProject(KEY_A, 'projects/1');
    mock().setProject(KEY_A2, 'projects/1');
    const bytes = new Uint8Array(9 * 1024 * 1024).fill(7);
    const file = await client(KEY_A).files.upload({
      file: new Blob([bytes], { type: 'application/pdf' }),
      config: { displayName: 'doc' },
    });
    expect(file).toMatchObject({
      mimeType: 'application/pdf',
      sizeBytes: String(bytes.length),
      state: 'ACTIVE',
    });
    expect(file.name).toMatch(/^files\/[a-z0-9]+$/);
    expect(mock().stats().uploadedBytes).toBe(bytes.length);

    const contents = [
      { role: 'user', parts: [{ fileData: { fileUri: file.uri!, mimeType: 'application/pdf' } }] },
    ];
    await expect(client(KEY_A2).models.generateContent({ model: MODEL, contents })).resolves.toBeTruthy();
    const refused = await client(KEY_B)
      .models.generateContent({ model: MODEL, contents })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(403);
    const id = file.name!.slice('files/'.length);
    expect((refused as ApiError).message).toContain(
      `You do not have permission to access the File ${id} or it may not exist.`,
    );
    expect(mock().stats().byResource[file.name!]).toBeDefined();

    expect((await client(KEY_A).files.get({ name: file.name! })).sizeBytes).toBe(String(bytes.length));
    expect(await apiStatus(client(KEY_B).files.get({ name: file.name! }))).toBe(403);
    const listed = await client(KEY_A).files.list();
    expect(listed.page.map((f) => f.name)).toEqual([file.name]);
    expect((await client(KEY_B).files.list()).page).toEqual([]);
    await client(KEY_A).files.delete({ name: file.name! });
    expect(await apiStatus(client(KEY_A).files.get({ name: file.name! }))).toBe(403);
  });

  it('caches: create, use, update, delete; another project gets 403', async () => {
    const cache = await client(KEY_A).caches.create({
      model: MODEL,
      config: { contents: [{ role: 'user', parts: [{ text: 'long context' }] }], ttl: '600s' },
    });
    expect(cache.name).toMatch(/^cachedContents\//);
    const call = (key: string) =>
      client(key).models.generateContent({
        model: MODEL,
        contents: 'hi',
        config: { cachedContent: cache.name! },
      });
    expect((await call(KEY_A)).text).toBeTruthy();
    const refused = (await call(KEY_B).catch((err: unknown) => err)) as ApiError;
    expect(refused.status).toBe(403);
    expect(refused.message).toContain('CachedContent not found (or permission denied)');
    // The OpenAI-compatible chat takes the cache in `extra_body.google.cached_content`, for its project only.
    const chat = (key: string) =>
      fetch(`${mock().url}/v1beta/openai/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          extra_body: { google: { cached_content: cache.name } },
        }),
      });
    expect((await chat(KEY_A)).status).toBe(200);
    const other = await chat(KEY_B);
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('CachedContent not found (or permission denied)');
    const updated = await client(KEY_A).caches.update({ name: cache.name!, config: { ttl: '7200s' } });
    expect(Date.parse(updated.expireTime!)).toBeGreaterThan(Date.parse(cache.expireTime!));
    expect((await client(KEY_A).caches.list()).page.map((c) => c.name)).toEqual([cache.name]);
    await client(KEY_A).caches.delete({ name: cache.name! });
    expect(await apiStatus(client(KEY_A).caches.get({ name: cache.name! }))).toBe(403);
  });

  it('batches: create and get by the owner only', async () => {
    const batch = await client(KEY_A).batches.create({
      model: MODEL,
      src: [{ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
    });
    expect(batch.name).toMatch(/^batches\//);
    expect((await client(KEY_A).batches.get({ name: batch.name! })).state).toBe('JOB_STATE_PENDING');
    expect(await apiStatus(client(KEY_B).batches.get({ name: batch.name! }))).toBe(404);
  });
});
