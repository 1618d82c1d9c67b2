/**
 * `npm start` runs the gateway bundled by scripts/build-node.ts. The bundle must find the same
 * files as the sources do (migrations and the built panel, resolved from `import.meta.url`) and
 * serve the same answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePath, SERVER_ENTRY } from '../../scripts/build-node.js';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat, ROOT, spawnGateway, type SpawnedGateway } from './helpers.js';

const ACCESS = 'bundle-access-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'gkp-bundle-'));
let mock: MockGemini;
let bundled: SpawnedGateway;
let fromSource: TestGateway;

beforeAll(async () => {
  mock = await startMockGemini();
  bundled = await spawnGateway({
    DATABASE_PATH: join(dir, 'bundled.sqlite'),
    UPSTREAM_BASE_URL: mock.url,
    ADMIN_TOKEN: 'bundle-admin-token-0123456789',
    ACCESS_TOKENS: ACCESS,
    GEMINI_API_KEYS: fakeKey('bundle-a'),
  });
  fromSource = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('bundle-b')] });
});

afterAll(async () => {
  bundled?.child.kill('SIGKILL');
  await fromSource?.close();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the bundled server', () => {
  it('sits as deep under dist/ as its entry under src/, so import.meta.url-relative paths agree', () => {
    const depth = (path: string) => path.split(sep).length;
    expect(depth(relative(ROOT, bundlePath(SERVER_ENTRY)))).toBe(depth(join(...SERVER_ENTRY.split('/'))));
  });

  it('migrated its database and proxies a chat completion', async () => {
    const res = await chat(bundled.url, ACCESS);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: unknown[]; usage: { total_tokens: number } };
    expect(body.choices).toHaveLength(1);
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('serves the panel exactly as the sources do', async () => {
    for (const path of ['/admin/', '/admin/index.html']) {
      const [a, b] = await Promise.all([fetch(bundled.url + path), fetch(fromSource.url + path)]);
      expect(a.status, path).toBe(b.status);
      expect(a.headers.get('content-type'), path).toBe(b.headers.get('content-type'));
      expect(await a.text(), path).toBe(await b.text());
    }
  });
});

describe('the Worker bundle', () => {
  it('holds neither the PostgreSQL client nor the Node-only storage adapters', async () => {
    // The modules wrangler would bundle from the Worker entry (it resolves for workerd the same way).
    const result = await build({
      entryPoints: [join(ROOT, 'src/runtime/worker/index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      format: 'esm',
      external: ['cloudflare:*', 'node:*'],
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('src/storage/d1/d1-driver.ts');
    expect(
      inputs.filter((path) => /node_modules\/postgres\/|src\/storage\/(postgres|sqlite)\//.test(path)),
    ).toEqual([]);
  });
});
