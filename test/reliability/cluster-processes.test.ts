/**
 * Three real gateway processes on one SQLite file, counted at the mock upstream: shared local key
 * limits hold exactly across them (each attempt is reserved in storage first), and periodic
 * maintenance runs once per interval across the three, under a lease.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { chat, spawnGateway, until, type SpawnedGateway } from './helpers.js';

const ADMIN = 'cluster-admin-token-0123456789';
const ACCESS = 'cluster-access-token-0123456789';
const KEYS = Array.from({ length: 3 }, (_, i) => fakeKey(`cluster${i}`));
const RPM = 10;

const dir = mkdtempSync(join(tmpdir(), 'gkp-cluster-'));
const path = join(dir, 'pool.sqlite');
let mock: MockGemini;
const gateways: SpawnedGateway[] = [];

const env = () => ({
  DATABASE_PATH: path,
  UPSTREAM_BASE_URL: mock.url,
  ADMIN_TOKEN: ADMIN,
  ACCESS_TOKENS: ACCESS,
  GEMINI_API_KEYS: KEYS.join(','),
  FLUSH_INTERVAL_MS: '200',
  MAINTENANCE_INTERVAL_MS: '1000',
});

beforeAll(async () => {
  mock = await startMockGemini();
  // The first process stores the limit; the others read it at start.
  gateways.push(await spawnGateway(env()));
  const res = await fetch(`${gateways[0]!.url}/admin/api/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ local_rpm_limit: RPM }),
  });
  expect(res.status).toBe(200);
  gateways.push(await spawnGateway(env()), await spawnGateway(env()));
}, 60_000);

afterAll(async () => {
  for (const g of gateways) if (g.child.exitCode === null) g.child.kill('SIGKILL');
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits, if needed, so that the next few seconds fall in one wall-clock minute (rpm windows are minutes). */
async function awayFromMinuteEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 100));
}

describe('three gateway processes on one SQLite file', () => {
  it(`a per-key rpm of ${RPM} admits exactly ${RPM} upstream calls per key across the three`, async () => {
    await awayFromMinuteEnd();
    mock.reset();
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) => chat(gateways[i % 3]!.url, ACCESS).then((r) => r.status)),
    );
    expect(mock.stats().byKey).toEqual(Object.fromEntries(KEYS.map((k) => [maskKey(k), RPM])));
    expect(answers.filter((s) => s === 200)).toHaveLength(KEYS.length * RPM);
    expect(answers.filter((s) => s === 429)).toHaveLength(150 - KEYS.length * RPM);
  }, 60_000);

  it('runs maintenance once per interval across the three, under a lease', async () => {
    const runs = () =>
      gateways
        .flatMap((g) => g.output().split('\n'))
        .filter((line) => line.includes('"event":"maintenance"'))
        .map((line) => JSON.parse(line) as { started_at: number; holder: string })
        .sort((x, y) => x.started_at - y.started_at);
    await until(() => runs().length >= 5, 'five maintenance runs', 20_000);
    const all = runs();
    // A run holds the lease for one interval (1 s), so runs are at least that far apart wherever
    // they happen; without the lease each of the three would run every second.
    const gaps = all.slice(1).map((run, i) => run.started_at - all[i]!.started_at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(990);
    expect(gateways.every((g) => !g.output().includes('maintenance_failed'))).toBe(true);
  }, 30_000);
});
