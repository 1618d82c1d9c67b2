/**
 * Files, cached contents and batches on Workers + D1, driven by `@google/genai` inside workerd:
 * with several single-key projects in the pool, every call naming a resource reaches its owner.
 */
import { GoogleGenAI } from '@google/genai';
import { beforeEach, describe, expect, it } from 'vitest';
import { askAboutFile, askWithCache, MODEL } from '../support/genai-resources.js';
import { ACCESS_TOKEN, ORIGIN, call, geminiKey, poolAdmin, rows } from './harness.js';
import { upstreamRecordingWorker } from './upstream-worker.js';

/** Upstream requests as the Worker sent them. */
const { worker, upstream } = upstreamRecordingWorker();

const ai = new GoogleGenAI({
  apiKey: ACCESS_TOKEN,
  httpOptions: { baseUrl: ORIGIN, fetch: (input, init) => call(worker, new Request(input, init)) },
});

const { useKeys } = poolAdmin(worker);
const KEYS = [geminiKey('wres', 1), geminiKey('wres', 2), geminiKey('wres', 3)];

/** The keys that served the upstream calls made since `from`. */
const keysAfter = (from: number) => new Set(upstream.slice(from).map((u) => u.key));

beforeEach(async () => {
  upstream.length = 0;
  await useKeys(KEYS.map((k) => [k, 'ok']));
});

describe('project-bound resources on Workers', () => {
  it('uploads (one chunk and several), then 10 generateContent and 10 streams on the file, get, list and delete, all on its owner', async () => {
    for (const size of [64, 9 * 1024 * 1024]) {
      const from = upstream.length;
      const file = await ai.files.upload({
        file: new Blob([new Uint8Array(size)], { type: 'application/pdf' }),
      });
      expect(file.sizeBytes).toBe(String(size));
      expect(file.uri!.startsWith(`${ORIGIN}/v1beta/files/`)).toBe(true);
      await askAboutFile(ai, file);
      // The upload start, its chunks and every generate call went to one key.
      expect(keysAfter(from).size).toBe(1);
      expect((await ai.files.get({ name: file.name! })).name).toBe(file.name);
      const listed: string[] = [];
      for await (const f of await ai.files.list({ config: { pageSize: 1 } })) listed.push(f.name!);
      expect(listed).toContain(file.name);
      await ai.files.delete({ name: file.name! });
      expect(keysAfter(from).size).toBe(1);
    }
    const sessions = await rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM resource_owners WHERE name LIKE 'uploads/%'",
    );
    expect(sessions[0]!.n).toBe(0);
  });

  it('caches: create, then generateContent with cachedContent 10 times; update, delete; batches create and get', async () => {
    const from = upstream.length;
    const cache = await askWithCache(ai, '300s');
    await ai.caches.update({ name: cache.name!, config: { ttl: '600s' } });
    await ai.caches.delete({ name: cache.name! });
    expect(keysAfter(from).size).toBe(1);

    const batchFrom = upstream.length;
    const batch = await ai.batches.create({
      model: MODEL,
      src: [{ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
    });
    for (let i = 0; i < 3; i++) expect((await ai.batches.get({ name: batch.name! })).name).toBe(batch.name);
    expect(keysAfter(batchFrom).size).toBe(1);
  });
});
