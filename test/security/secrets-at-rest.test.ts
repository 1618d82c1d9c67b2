/**
 * Secrets at rest, checked in the bytes of the SQLite files (database, WAL and shared memory):
 * admin and access tokens are stored only as hashes, and with ENCRYPTION_KEY the `api_key` column
 * holds AES-GCM ciphertext. `npm run encrypt-keys` migrates a plaintext database, idempotently.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/crypto.js';
import { readNodeSettings } from '../../src/runtime/node/env.js';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node/server.js';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { fakeKey } from '../support/keys.js';
import { chat, readDb, ROOT } from '../reliability/helpers.js';

const SECRET = 'correct horse battery staple, at rest';
const ACCESS = 'env-access-token-at-rest-0123456789';
const KEYS = [fakeKey('rest-one'), fakeKey('rest-two'), fakeKey('rest-three')];

let mock: MockGemini;
const dir = mkdtempSync(join(tmpdir(), 'gkp-rest-'));

beforeAll(async () => {
  mock = await startMockGemini();
});

afterAll(async () => {
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every byte SQLite keeps for the database: the file, its WAL and its shared-memory index. */
function fileBytes(path: string): Buffer {
  return Buffer.concat(
    [path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p)).map((p) => readFileSync(p)),
  );
}

const holds = (bytes: Buffer, text: string) => bytes.includes(Buffer.from(text, 'utf8'));

async function start(
  name: string,
  env: Record<string, string> = {},
): Promise<{ gw: RunningGateway; logs: string[]; path: string }> {
  const path = join(dir, `${name}.sqlite`);
  const logs: string[] = [];
  const settings = readNodeSettings({
    PORT: '0',
    DATABASE_PATH: path,
    UPSTREAM_BASE_URL: mock.url,
    FLUSH_INTERVAL_MS: '50',
    LOG_REQUESTS: '1',
    ...env,
  });
  const gw = await startNodeGateway(settings, { logger: (entry) => logs.push(JSON.stringify(entry)) });
  return { gw, logs, path };
}

/** Restarts on the migrated database and proves every key decrypts to a working key: one request each. */
async function expectEveryKeyServesOnce(env: Record<string, string>): Promise<void> {
  const after = await start('migrate', env);
  try {
    mock.reset();
    for (let i = 0; i < KEYS.length; i++) expect((await chat(after.gw.url, ACCESS)).status).toBe(200);
    for (const key of KEYS) expect(mock.stats().byKey[maskKey(key)]).toBe(1);
  } finally {
    await after.gw.shutdown();
  }
}

async function admin(gw: RunningGateway, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function runScript(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/encrypt-keys.ts'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

const storedKeys = (path: string) =>
  readDb(path, (db) => db.prepare('SELECT api_key, key_hash FROM api_keys ORDER BY id').all()) as Array<{
    api_key: string;
    key_hash: string;
  }>;

describe('access and admin tokens', () => {
  it('are stored only as SHA-256 hashes, and the generated admin token works after a restart', async () => {
    const { gw, logs, path } = await start('tokens', { ACCESS_TOKENS: ACCESS, GEMINI_API_KEYS: KEYS[0]! });
    const adminToken = gw.generated.adminToken!;
    expect(adminToken).toMatch(/^gkp_admin_/);
    const created = await admin(gw, adminToken, 'POST', '/tokens', { name: 'laptop' });
    expect(created.status).toBe(201);
    const apiToken = created.body.secret as string;
    for (const token of [ACCESS, apiToken]) expect((await chat(gw.url, token)).status).toBe(200);
    await gw.gateway.flush();

    const secrets = [adminToken, ACCESS, apiToken];
    const check = async () => {
      const bytes = fileBytes(path);
      for (const secret of secrets) {
        expect(holds(bytes, secret)).toBe(false);
        expect(holds(bytes, secret.slice(4, -4))).toBe(false);
        // The hash is there: the right bytes were searched.
        expect(holds(bytes, await sha256Hex(secret))).toBe(true);
      }
    };
    await check();
    for (const secret of secrets) expect(logs.join('\n')).not.toContain(secret);
    await gw.shutdown();
    await check();

    const again = await start('tokens');
    try {
      expect(again.gw.generated.adminToken).toBeNull();
      expect((await admin(again.gw, adminToken, 'GET', '/session')).status).toBe(200);
      expect((await chat(again.gw.url, apiToken)).status).toBe(200);
    } finally {
      await again.gw.shutdown();
    }
  });
});

describe('a revoked ACCESS_TOKENS token', () => {
  it('stays revoked when the next start imports the variable again', async () => {
    const env = {
      ADMIN_TOKEN: 'admin-token-at-rest-0123456789',
      ACCESS_TOKENS: ACCESS,
      GEMINI_API_KEYS: KEYS[0]!,
    };
    const first = await start('revoked', env);
    const tokens = await admin(first.gw, env.ADMIN_TOKEN, 'GET', '/tokens');
    const id = (tokens.body.tokens as Array<{ id: number; source: string }>).find(
      (t) => t.source === 'env',
    )!.id;
    expect((await admin(first.gw, env.ADMIN_TOKEN, 'DELETE', `/tokens/${id}`)).status).toBe(200);
    expect((await chat(first.gw.url, ACCESS)).status).toBe(401);
    await first.gw.shutdown();
    const second = await start('revoked', env);
    try {
      expect((await chat(second.gw.url, ACCESS)).status).toBe(401);
    } finally {
      await second.gw.shutdown();
    }
  });
});

describe('ENCRYPTION_KEY', () => {
  it('stores every key as AES-GCM ciphertext while the gateway keeps working', async () => {
    const { gw, logs, path } = await start('encrypted', {
      ENCRYPTION_KEY: SECRET,
      ADMIN_TOKEN: 'admin-token-at-rest-0123456789',
      ACCESS_TOKENS: ACCESS,
      GEMINI_API_KEYS: KEYS.slice(0, 2).join(','),
    });
    const added = await admin(gw, 'admin-token-at-rest-0123456789', 'POST', '/keys', { text: KEYS[2] });
    expect(added.body).toEqual({ added: 1, duplicates: 0, invalid: 0 });
    mock.reset();
    for (let i = 0; i < 6; i++) expect((await chat(gw.url, ACCESS)).status).toBe(200);
    // The upstream got the real keys, decrypted: two requests each.
    for (const key of KEYS) expect(mock.stats().byKey[maskKey(key)]).toBe(2);
    await gw.shutdown();

    const rows = storedKeys(path);
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.api_key)).size).toBe(3);
    for (const [i, row] of rows.entries()) {
      expect(row.api_key).toMatch(/^enc:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
      expect(row.key_hash).toBe(await sha256Hex(KEYS[i]!));
    }
    const bytes = fileBytes(path);
    for (const key of KEYS) {
      expect(holds(bytes, key)).toBe(false);
      expect(holds(bytes, key.slice(4))).toBe(false);
    }
    expect(logs.join('\n')).not.toContain(SECRET);
  });

  it('refuses to start with a wrong ENCRYPTION_KEY or without one, naming neither secret nor key', async () => {
    const base = { ADMIN_TOKEN: 'admin-token-at-rest-0123456789' };
    for (const env of [{ ...base, ENCRYPTION_KEY: 'not the right secret' }, base]) {
      const failure = await start('encrypted', env).then(
        async ({ gw }) => {
          await gw.shutdown();
          return null;
        },
        (err: unknown) => String(err),
      );
      expect(failure).toMatch(/ENCRYPTION_KEY/);
      for (const key of KEYS) expect(failure).not.toContain(key.slice(4));
      expect(failure).not.toContain(SECRET);
    }
  });
});

describe('npm run encrypt-keys', () => {
  it('migrates a plaintext database, is idempotent, and the gateway then runs on it', async () => {
    const { gw, path } = await start('migrate', {
      ADMIN_TOKEN: 'admin-token-at-rest-0123456789',
      ACCESS_TOKENS: ACCESS,
      GEMINI_API_KEYS: KEYS.join(','),
    });
    for (let i = 0; i < 3; i++) expect((await chat(gw.url, ACCESS)).status).toBe(200);
    await gw.shutdown();
    expect(holds(fileBytes(path), KEYS[0]!)).toBe(true);
    const counters = () =>
      readDb(path, (db) => db.prepare('SELECT id, total_requests FROM api_keys ORDER BY id').all());
    const before = counters();

    expect((await runScript({ DATABASE_PATH: path })).code).toBe(2);
    expect(
      (await runScript({ ENCRYPTION_KEY: SECRET, DATABASE_PATH: join(dir, 'missing.sqlite') })).code,
    ).toBe(2);
    expect(existsSync(join(dir, 'missing.sqlite'))).toBe(false);

    const first = await runScript({ ENCRYPTION_KEY: SECRET, DATABASE_PATH: path });
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain('3 key(s) encrypted, 0 already encrypted');
    const encrypted = storedKeys(path);
    for (const row of encrypted) expect(row.api_key).toMatch(/^enc:v1:/);
    const bytes = fileBytes(path);
    for (const key of KEYS) expect(holds(bytes, key.slice(4))).toBe(false);
    expect(counters()).toEqual(before);

    const second = await runScript({ ENCRYPTION_KEY: SECRET, DATABASE_PATH: path });
    expect(second).toMatchObject({ code: 0 });
    expect(second.out).toContain('0 key(s) encrypted, 3 already encrypted');
    expect(storedKeys(path)).toEqual(encrypted);

    const wrong = await runScript({ ENCRYPTION_KEY: 'another secret', DATABASE_PATH: path });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/cannot decrypt/);
    expect(wrong.out).not.toContain('another secret');
    expect(storedKeys(path)).toEqual(encrypted);

    await expectEveryKeyServesOnce({ ENCRYPTION_KEY: SECRET, ACCESS_TOKENS: ACCESS });
  });

  // Continues on the database the migration test above left encrypted under SECRET.
  it('rotates ENCRYPTION_KEY with OLD_ENCRYPTION_KEY, idempotently', async () => {
    const path = join(dir, 'migrate.sqlite');
    const NEXT = 'a brand-new secret for rotation';
    const under = storedKeys(path);
    const wrongOld = await runScript({
      OLD_ENCRYPTION_KEY: 'not it',
      ENCRYPTION_KEY: NEXT,
      DATABASE_PATH: path,
    });
    expect(wrongOld.code).toBe(1);
    expect(storedKeys(path)).toEqual(under);

    const rotated = await runScript({
      OLD_ENCRYPTION_KEY: SECRET,
      ENCRYPTION_KEY: NEXT,
      DATABASE_PATH: path,
    });
    expect(rotated).toMatchObject({ code: 0 });
    expect(rotated.out).toContain('3 key(s) encrypted, 0 already encrypted');
    const rows = storedKeys(path);
    for (const [i, row] of rows.entries()) {
      expect(row.api_key).toMatch(/^enc:v1:/);
      expect(row.api_key).not.toBe(under[i]!.api_key);
    }
    for (const old of under) expect(holds(fileBytes(path), old.api_key)).toBe(false);
    const again = await runScript({ OLD_ENCRYPTION_KEY: SECRET, ENCRYPTION_KEY: NEXT, DATABASE_PATH: path });
    expect(again.out).toContain('0 key(s) encrypted, 3 already encrypted');
    expect(storedKeys(path)).toEqual(rows);

    const failure = await start('migrate', { ENCRYPTION_KEY: SECRET }).then(
      async ({ gw }) => gw.shutdown().then(() => null),
      (err: unknown) => String(err),
    );
    expect(failure).toMatch(/ENCRYPTION_KEY/);
    await expectEveryKeyServesOnce({ ENCRYPTION_KEY: NEXT, ACCESS_TOKENS: ACCESS });
  });
});
