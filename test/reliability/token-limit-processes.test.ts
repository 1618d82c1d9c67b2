/**
 * Token limits across processes: two real gateway processes on one SQLite file share a token's
 * counts, because each request is reserved by one atomic statement in the database before the
 * upstream call. Counted at the mock upstream, not at the gateway. The counts survive a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { chat, spawnGateway, type SpawnedGateway } from './helpers.js';

const ADMIN = 'procs-admin-token-0123456789';
const KEYS = Array.from({ length: 5 }, (_, i) => fakeKey(`procs${i}`));

const dir = mkdtempSync(join(tmpdir(), 'gkp-procs-'));
const path = join(dir, 'pool.sqlite');
let mock: MockGemini | undefined;
const gateways: SpawnedGateway[] = [];

afterAll(async () => {
  for (const g of gateways) if (g.child.exitCode === null) g.child.kill('SIGKILL');
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  DATABASE_PATH: path,
  UPSTREAM_BASE_URL: mock!.url,
  ADMIN_TOKEN: ADMIN,
  GEMINI_API_KEYS: KEYS.join(','),
  FLUSH_INTERVAL_MS: '200',
});

async function createToken(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/admin/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

/** Waits, if needed, so that the next few seconds fall in one wall-clock minute (rpm windows are minutes). */
async function awayFromMinuteEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 100));
}

async function stop(g: SpawnedGateway): Promise<void> {
  g.child.kill('SIGTERM');
  await g.exited;
}

describe('token limits over two processes on one SQLite file', () => {
  it('200 concurrent requests with rpm 25 give exactly 25 upstream calls; rpd holds across a restart', async () => {
    mock = await startMockGemini();
    const a = await spawnGateway(env());
    gateways.push(a);
    const b = await spawnGateway(env());
    gateways.push(b);
    const perMinute = await createToken(a.url, { name: 'rpm', rpm: 25 });
    const perDay = await createToken(b.url, { name: 'rpd', rpd: 3 });

    await awayFromMinuteEnd();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => chat(i % 2 ? a.url : b.url, perMinute).then((r) => r.status)),
    );
    expect(mock.stats().requests).toBe(25);
    expect(answers.filter((s) => s === 200)).toHaveLength(25);
    expect(answers.filter((s) => s === 429)).toHaveLength(175);

    mock.reset();
    expect((await chat(a.url, perDay)).status).toBe(200);
    expect((await chat(b.url, perDay)).status).toBe(200);
    expect((await chat(a.url, perDay)).status).toBe(200);
    expect((await chat(b.url, perDay)).status).toBe(429);
    await stop(a);
    await stop(b);
    const again = await spawnGateway(env());
    gateways.push(again);
    const refused = await chat(again.url, perDay);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.message).toContain('rpd limit of 3');
    expect(mock.stats().requests).toBe(3);
  }, 90_000);
});
