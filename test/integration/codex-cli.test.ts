/**
 * Codex CLI as its users start it, against the Node gateway and the mock upstream: a
 * `model_providers` entry with `wire_api = "responses"`, `base_url` the gateway's `/v1`, and
 * `env_key` naming the variable that holds a gateway access token; then `codex exec` one-shot.
 * Runs when `codex` is installed (on PATH, or at CODEX_BIN); skipped with a note otherwise.
 * Install it outside the project: `npm install -g @openai/codex@0.169` (about 20 s).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

function findCodex(): string | null {
  const candidates = process.env.CODEX_BIN
    ? [process.env.CODEX_BIN]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'codex'));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return null;
}

const codex = findCodex();
if (!codex) {
  console.warn(
    'codex-cli.test.ts: Codex CLI not found on PATH (or CODEX_BIN); skipping. Install: npm install -g @openai/codex@0.169',
  );
}

function run(bin: string, args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      bin,
      args,
      { env: { ...process.env, ...env }, cwd, timeout: 90_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe.skipIf(!codex)('Codex CLI through /v1/responses', () => {
  let mock: MockGemini;
  let gw: TestGateway;
  let home: string;

  beforeAll(async () => {
    mock = await startMockGemini();
    gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('codex')] });
    home = mkdtempSync(join(tmpdir(), 'gkp-codex-'));
    writeFileSync(
      join(home, 'config.toml'),
      [
        'model = "gpt-5-codex"',
        'model_provider = "gemini-pool"',
        '',
        '[model_providers.gemini-pool]',
        'name = "Gemini key pool"',
        `base_url = "${gw.url}/v1"`,
        'env_key = "GEMINI_POOL_TOKEN"',
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it(
    'codex exec answers a one-shot prompt, and the pool records the Gemini model',
    { timeout: 120_000 },
    async () => {
      const result = await run(
        codex!,
        ['exec', '--skip-git-repo-check', 'say hi'],
        { CODEX_HOME: home, GEMINI_POOL_TOKEN: gw.accessToken },
        home,
      );
      expect(result.code, result.stderr.slice(-2000)).toBe(0);
      expect(result.stdout.trim().length).toBeGreaterThan(0);
      await gw.running.gateway.flush();
      const usage = (await gw.admin('GET', '/usage?limit=50&endpoint=responses')).body.usage as Array<
        Record<string, unknown>
      >;
      expect(usage.length).toBeGreaterThan(0);
      expect(usage.every((row) => row.status === 200 && row.model === 'gemini-2.5-flash')).toBe(true);
    },
  );
});
