/**
 * Claude Code itself (`claude -p`), started as its users start it: only ANTHROPIC_BASE_URL (the
 * gateway) and ANTHROPIC_API_KEY (a gateway access token), plus the switches that keep it off the
 * network. It sends its own tools, thinking settings and beta flags; the mock upstream answers its
 * first turn with tool calls, so the run is a full tool loop. Runs when `claude` is installed
 * (on PATH, or named by CLAUDE_CODE_BIN); skipped with a note otherwise:
 *   npm install -g @anthropic-ai/claude-code@2.1
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

function findClaude(): string | null {
  if (process.env.CLAUDE_CODE_BIN) return process.env.CLAUDE_CODE_BIN;
  const found = spawnSync('sh', ['-c', 'command -v claude'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

const claude = findClaude();
if (!claude) {
  console.warn(
    'Claude Code test skipped: `claude` is not installed (npm install -g @anthropic-ai/claude-code@2.1, or set CLAUDE_CODE_BIN)',
  );
}

let mock: MockGemini;
let gw: TestGateway;
let home: string;

function runClaude(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    ANTHROPIC_BASE_URL: gw.url,
    ANTHROPIC_API_KEY: gw.accessToken,
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
  };
  return new Promise((resolve) => {
    const child = execFile(claude!, args, { env, cwd: home, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    // Nothing on stdin: otherwise `claude -p` waits for it a few seconds.
    child.stdin?.end();
  });
}

describe.skipIf(!claude)('Claude Code against the gateway', () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gkp-claude-'));
    mock = await startMockGemini();
    gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [fakeKey('claude-code')] });
  });

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('answers `claude -p "say hi"` through a tool loop, on its default (claude-*) model', async () => {
    const run = await runClaude(['-p', 'say hi']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Hello from the');
    await gw.running.gateway.flush();
    const rows = (await gw.admin('GET', '/usage?limit=20&endpoint=messages')).body.usage as Array<{
      model: string;
      status: number;
    }>;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((row) => row.status === 200 && row.model.startsWith('gemini-'))).toBe(true);
  });

  it('carries Gemini 3 thought signatures through its history', async () => {
    const run = await runClaude(['-p', '--model', 'gemini-3-flash-preview', 'say hi']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Hello from the');
    await gw.running.gateway.flush();
    const rows = (await gw.admin('GET', '/usage?limit=2&endpoint=messages')).body.usage as Array<{
      model: string;
      status: number;
    }>;
    expect(rows).toEqual([
      expect.objectContaining({ model: 'gemini-3-flash-preview', status: 200 }),
      expect.objectContaining({ model: 'gemini-3-flash-preview', status: 200 }),
    ]);
  });
});
