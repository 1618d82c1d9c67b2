/**
 * Graceful shutdown of the real process (`npm start`'s entry): SIGTERM stops accepting, lets
 * in-flight requests and streams finish up to SHUTDOWN_TIMEOUT_MS, flushes, and exits 0.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { chat, dbCounts, spawnGateway, until, usageRows, type SpawnedGateway } from './helpers.js';

const ACCESS = 'shutdown-access-token-0123456789';
const KEYS = [fakeKey('stop-a'), fakeKey('stop-b'), fakeKey('stop-c')];

const dir = mkdtempSync(join(tmpdir(), 'gkp-shutdown-'));
let mock: MockGemini | undefined;
let gateway: SpawnedGateway | undefined;

afterEach(async () => {
  if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  gateway = undefined;
  await mock?.close();
  mock = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(name: string, env: Record<string, string>): Promise<SpawnedGateway> {
  mock = await startMockGemini();
  gateway = await spawnGateway({
    DATABASE_PATH: join(dir, `${name}.sqlite`),
    UPSTREAM_BASE_URL: mock.url,
    ADMIN_TOKEN: 'shutdown-admin-token-0123456789',
    ACCESS_TOKENS: ACCESS,
    GEMINI_API_KEYS: KEYS.join(','),
    // Nothing is flushed by the timer during the test: what reaches the database, the shutdown flushed.
    FLUSH_INTERVAL_MS: '60000',
    LOG_REQUESTS: '1',
    ...env,
  });
  return gateway;
}

/** Opens a brand-new connection (no keep-alive reuse) and reports whether it was refused. */
function newConnection(url: string): Promise<'refused' | number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // A connection that raced into the backlog just before the close is reset rather than refused.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' ? resolve('refused') : reject(err),
    );
    req.end();
  });
}

describe('SIGTERM', () => {
  it('stops accepting, finishes in-flight requests and streams, flushes, and exits 0', async () => {
    const gw = await start('graceful', { SHUTDOWN_TIMEOUT_MS: '10000' });
    mock!.configure({ latencyMs: 300, streamChunks: 8, chunkIntervalMs: 100 });
    const inFlight = [
      ...Array.from({ length: 4 }, () => chat(gw.url, ACCESS).then(async (r) => [r.status, await r.text()])),
      ...Array.from({ length: 2 }, () =>
        chat(gw.url, ACCESS, { stream: true }).then(async (r) => [r.status, await r.text()]),
      ),
    ];
    await until(() => mock!.stats().requests === 6, 'the upstream to receive all six requests');

    gw.child.kill('SIGTERM');
    await until(() => gw.output().includes('"event":"shutdown"'), 'the shutdown log line');
    expect(await newConnection(gw.url)).toBe('refused');

    const answers = await Promise.all(inFlight);
    for (const [status] of answers) expect(status).toBe(200);
    for (const [, text] of answers.slice(0, 4)) {
      expect(JSON.parse(text as string)).toMatchObject({ object: 'chat.completion' });
    }
    for (const [, text] of answers.slice(4)) {
      expect(text).toMatch(/data: \[DONE\]\n\n$/);
      expect((text as string).split('\n\n').filter(Boolean)).toHaveLength(9);
    }
    expect(await gw.exited).toBe(0);
    expect(mock!.stats().ok).toBe(6);
    expect(gw.output()).toContain('"event":"request"');
    for (const key of KEYS) expect(gw.output()).not.toContain(key);

    const path = join(dir, 'graceful.sqlite');
    expect(dbCounts(path)).toEqual({ totalRequests: 6, usageRows: 6 });
    const streams = usageRows(path).filter((r) => r.endpoint === 'chat.completions' && r.outcome === 'ok');
    expect(streams).toHaveLength(6);
    for (const row of streams) expect(row.tokens_used).toBeGreaterThan(0);
  });

  it('cuts a stream that outlives SHUTDOWN_TIMEOUT_MS, still records its attempt, and exits 0', async () => {
    const gw = await start('deadline', { SHUTDOWN_TIMEOUT_MS: '500' });
    // 100 chunks 100 ms apart: 10 s, far beyond the deadline.
    mock!.configure({ streamChunks: 100, chunkIntervalMs: 100 });
    const res = await chat(gw.url, ACCESS, { stream: true });
    expect(res.status).toBe(200);
    const body = res.text().catch(() => 'cut');
    await until(() => mock!.stats().requests === 1, 'the stream to start upstream');

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    const text = await body;
    expect(text).not.toContain('[DONE]');
    await until(() => mock!.stats().aborted === 1, 'the upstream stream to be aborted');

    const rows = usageRows(join(dir, 'deadline.sqlite'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      endpoint: 'chat.completions',
      response_status: 499,
      outcome: 'client-abort',
    });
    expect(rows[0]!.tokens_used).toBeGreaterThan(0);
  });
});
