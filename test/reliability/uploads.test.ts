/**
 * Uploads across real gateway processes: two processes on one SQLite file share upload sessions and
 * file owners, and a 200 MB upload streams through one process without its memory growing with it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { MODEL, spawnGateway, type SpawnedGateway } from './helpers.js';

const TOKEN = 'uploads-access-token-0123456789';
const KEYS = [fakeKey('up-one'), fakeKey('up-two'), fakeKey('up-three')];
const MB = 1024 * 1024;

let mock: MockGemini;
let dir: string;
const gateways: SpawnedGateway[] = [];

beforeAll(async () => {
  mock = await startMockGemini();
  dir = mkdtempSync(join(tmpdir(), 'gkp-uploads-'));
});

afterAll(async () => {
  for (const gw of gateways) gw.child.kill('SIGTERM');
  await Promise.all(gateways.map((gw) => gw.exited));
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(db: string): Promise<SpawnedGateway> {
  const gw = await spawnGateway({
    DATABASE_PATH: join(dir, db),
    UPSTREAM_BASE_URL: mock.url,
    GEMINI_API_KEYS: KEYS.join('\n'),
    ACCESS_TOKENS: TOKEN,
    ADMIN_TOKEN: 'uploads-admin-token-0123456789',
  });
  gateways.push(gw);
  return gw;
}

async function startUpload(gw: SpawnedGateway, size: number): Promise<string> {
  const res = await fetch(`${gw.url}/upload/v1beta/files`, {
    method: 'POST',
    headers: {
      'x-goog-api-key': TOKEN,
      'content-type': 'application/json',
      'x-goog-upload-protocol': 'resumable',
      'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': String(size),
      'x-goog-upload-header-content-type': 'application/octet-stream',
    },
    body: JSON.stringify({ file: { display_name: 'big' } }),
  });
  expect(res.status).toBe(200);
  const url = res.headers.get('x-goog-upload-url')!;
  expect(url.startsWith(`${gw.url}/upload/v1beta/files?upload_id=`)).toBe(true);
  expect(url).not.toContain(mock.url);
  return url;
}

/** Sends `size` bytes in 1 MB pieces as one `upload, finalize` request, never holding them all. */
function sendChunk(url: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'x-goog-api-key': TOKEN,
          'x-goog-upload-command': 'upload, finalize',
          'x-goog-upload-offset': '0',
          'content-length': String(size),
          'content-type': 'application/octet-stream',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    const piece = Buffer.alloc(MB, 7);
    let sent = 0;
    const write = (): void => {
      while (sent < size) {
        sent += MB;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

function generate(gw: SpawnedGateway, fileUri: string): Promise<Response> {
  return fetch(`${gw.url}/v1beta/models/${MODEL}:generateContent`, {
    method: 'POST',
    headers: { 'x-goog-api-key': TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ fileData: { fileUri } }] }] }),
  });
}

/** Resident memory of a process, from /proc (Linux), in bytes: `VmRSS` now or `VmHWM` (its peak). */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/**
 * How far a process's resident memory peaks above where it stood while one upload of `size` bytes
 * streams through it. The peak is reset first (`clear_refs` 5), so an earlier peak does not count.
 */
async function uploadGrowth(gw: SpawnedGateway, size: number): Promise<number> {
  const pid = gw.child.pid!;
  const url = await startUpload(gw, size);
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = memoryOf(pid, 'VmRSS');
  const received = mock.stats().uploadedBytes;
  const done = await sendChunk(url, size);
  expect(done.status).toBe(200);
  expect(mock.stats().uploadedBytes - received).toBe(size);
  return memoryOf(pid, 'VmHWM') - before;
}

describe('uploads across gateway processes', () => {
  it('an upload started on one process finishes through the other; its file serves through either', async () => {
    const [one, two] = [await start('shared.sqlite'), await start('shared.sqlite')];
    const url = await startUpload(one!, 3 * MB);
    const other = url.replace(one!.url, two!.url);
    const done = await sendChunk(other, 3 * MB);
    expect(done.status).toBe(200);
    const file = (JSON.parse(done.body) as { file: { name: string; uri: string; sizeBytes: string } }).file;
    expect(file.sizeBytes).toBe(String(3 * MB));
    for (let i = 0; i < 10; i++) {
      expect((await generate(two!, file.uri)).status).toBe(200);
      expect((await generate(one!, file.uri)).status).toBe(200);
    }
    // Every call that named the file went to one key: the one the upload went to.
    expect(Object.keys(mock.stats().byResource[file.name] ?? {})).toHaveLength(1);
    expect(mock.stats().byStatus[403]).toBeUndefined();
  });

  it('a 200 MB upload streams through the Node gateway with its RSS growing by less than 64 MB', async () => {
    const gw = await start('memory.sqlite');
    // A first small upload compiles the path and sizes the allocator, a cost paid once per process.
    await uploadGrowth(gw, 8 * MB);
    expect(await uploadGrowth(gw, 200 * MB)).toBeLessThan(64 * MB);
    // Held bytes would double with the upload; chunks already sent, awaiting collection, do not: same bound.
    expect(await uploadGrowth(gw, 400 * MB)).toBeLessThan(64 * MB);
  });
});
