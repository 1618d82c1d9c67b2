/**
 * No full API key, and no upstream URL, escapes through the project-bound resource routes: uploads
 * (start, chunks, finalize, the rewritten upload URL), files, cached contents, batches, operations,
 * merged lists, and their error paths (a resource gone at its owner, two projects in one request,
 * the owner cooling, unknown sessions, too large uploads, bad names and page tokens, keys refused
 * by Google). Every client header and body, log line and database row is searched, as in
 * key-leak.test.ts.
 */
import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { Capture, databaseText, randomKey } from './leak-capture.js';

const MODEL = 'gemini-2.5-flash';
const MB = 1024 * 1024;
/** Four keys serve; two are refused by Google (invalid, suspended) when the strategy lands on them. */
const KEYS = Array.from({ length: 6 }, () => randomKey());
let mock: MockGemini;
let gw: TestGateway;
const capture = new Capture();

beforeAll(async () => {
  mock = await startMockGemini();
  mock.setKey(KEYS[4]!, 'invalid');
  mock.setKey(KEYS[5]!, 'suspended');
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: KEYS,
    env: { LOG_REQUESTS: '1', MAX_UPLOAD_BYTES: String(32 * MB) },
  });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

const goog = () => ({ 'x-goog-api-key': gw.accessToken, 'content-type': 'application/json' });
const fileParts = (...files: Array<{ uri?: string }>) => [
  { role: 'user', parts: files.map((f) => ({ fileData: { fileUri: f.uri!, mimeType: 'text/plain' } })) },
];
const native = (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') =>
  capture.fetch(`${gw.url}/v1beta/${path}`, {
    method,
    headers: goog(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const upload = (query: string, headers: Record<string, string>, body: string) =>
  capture.fetch(`${gw.url}/upload/v1beta/files${query}`, {
    method: 'POST',
    headers: { ...goog(), 'x-goog-upload-protocol': 'resumable', ...headers },
    body,
  });

/** Every call the SDK makes on these routes, happy paths. */
async function sdkCalls(ai: GoogleGenAI): Promise<void> {
  const small = await ai.files.upload({ file: new Blob(['hello'], { type: 'text/plain' }) });
  const big = await ai.files.upload({ file: new Blob([new Uint8Array(9 * MB)], { type: 'text/plain' }) });
  await ai.files.get({ name: big.name! });
  for await (const f of await ai.files.list({ config: { pageSize: 1 } })) expect(f.name).toBeTruthy();
  await ai.models.generateContent({ model: MODEL, contents: fileParts(small) });
  for await (const c of await ai.models.generateContentStream({ model: MODEL, contents: fileParts(small) }))
    expect(c).toBeTruthy();
  const cache = await ai.caches.create({ model: MODEL, config: { contents: fileParts(small), ttl: '60s' } });
  await ai.caches.get({ name: cache.name! });
  for await (const c of await ai.caches.list()) expect(c.name).toBeTruthy();
  await ai.caches.update({ name: cache.name!, config: { ttl: '120s' } });
  await ai.models.generateContent({ model: MODEL, contents: 'q', config: { cachedContent: cache.name! } });
  await capture.fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: 'q' }],
      extra_body: { google: { cached_content: cache.name } },
    }),
  });
  const batch = await ai.batches.create({ model: MODEL, src: [{ contents: fileParts(small) }] });
  await ai.batches.get({ name: batch.name! });
  await ai.batches.cancel({ name: batch.name! });
  await ai.batches.delete({ name: batch.name! });
  const op = await native(`models/${MODEL}:predictLongRunning`, { instances: [{ prompt: 'p' }] });
  await native(JSON.parse(op.text).name as string);
  await ai.caches.delete({ name: cache.name! });
  // Gone at its owner: the owner's 403 passes through, for the file and for a request naming it.
  await ai.files.delete({ name: small.name! });
  expect((await native(small.name!)).status).toBe(403);
  expect((await native(`models/${MODEL}:generateContent`, { contents: fileParts(small) })).status).toBe(403);
}

/** Error paths the gateway answers itself, or passes through from the owner. */
async function errorCalls(ai: GoogleGenAI): Promise<number[]> {
  const statuses: number[] = [];
  const seen = async (work: Promise<{ status: number }>) => statuses.push((await work).status);
  // Two projects in one request: uploads spread by the strategy, then one request naming both.
  expect((await gw.admin('PUT', '/config', { resource_affinity_seconds: 0 })).status).toBe(200);
  const files = [];
  for (let i = 0; i < 4; i++)
    files.push(await ai.files.upload({ file: new Blob([`f${i}`], { type: 'text/plain' }) }));
  await gw.admin('PUT', '/config', { resource_affinity_seconds: 3600 });
  await seen(native(`models/${MODEL}:generateContent`, { contents: fileParts(...files) }));
  await seen(native('files/never-created-here'));
  await seen(native('batches/never-created-here'));
  await seen(native('operations/never-created-here'));
  await seen(native('files/bad%2Fname'));
  await seen(native('files?pageToken=not-a-token'));
  await seen(native('cachedContents', { contents: [] }));
  await seen(
    upload(
      '',
      { 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-length': String(64 * MB) },
      '{}',
    ),
  );
  await seen(
    upload(
      '?upload_id=unknown-session&upload_protocol=resumable',
      { 'x-goog-upload-command': 'upload, finalize' },
      'x',
    ),
  );
  await seen(upload('', { 'x-goog-upload-command': 'upload' }, '{}'));
  // The owner cooling for the model: the pool's 429, never another key.
  const owned = fileParts(files[0]!);
  await seen(native(`models/${MODEL}:generateContent`, { contents: owned }));
  const [owner] = Object.keys(mock.stats().byResource[files[0]!.name!] ?? {});
  const full = KEYS.find((k) => maskKey(k) === owner)!;
  mock.setKey(full, { rateLimit: 'per_minute', retryDelay: '40s' });
  for (let i = 0; i < 2; i++) await seen(native(`models/${MODEL}:generateContent`, { contents: owned }));
  expect(Object.keys(mock.stats().byResource[files[0]!.name!] ?? {})).toEqual([owner]);
  mock.setKey(full, 'ok');
  return statuses;
}

describe('project-bound resource routes', () => {
  it('never show a key, in full or in part, nor the upstream URL, in any header, body, log or row', async () => {
    const ai = new GoogleGenAI({
      apiKey: gw.accessToken,
      httpOptions: { baseUrl: gw.url, fetch: capture.sdkFetch },
    });
    await sdkCalls(ai);
    const statuses = await errorCalls(ai);
    expect(statuses).toEqual(expect.arrayContaining([409, 403, 400, 413, 404, 429]));
    for (const path of ['/keys?page_size=500', '/usage?limit=500', '/usage?limit=500&status=403']) {
      await capture.fetch(`${gw.url}/admin/api${path}`, {
        headers: { authorization: `Bearer ${gw.adminToken}` },
      });
    }

    const client = capture.parts.join('\n');
    // The start answer's upload URL is the gateway's own; neither Gemini's host nor port shows.
    expect(client).toMatch(new RegExp(`x-goog-upload-url: ${gw.url}/upload/v1beta/files\\?upload_id=`));
    expect(client).not.toContain(mock.url);
    expect(client).not.toContain(`127.0.0.1:${mock.port}`);
    // Google did refuse keys on these routes, so redaction had something to do.
    expect(mock.stats().byStatus[400]).toBeGreaterThan(0);

    capture.parts.push(...gw.logs, databaseText(gw.databasePath));
    expect(gw.logs.some((line) => line.includes('"route":"files.upload.start"'))).toBe(true);
    expect(capture.leaks(KEYS)).toEqual([]);
  }, 60_000);
});
