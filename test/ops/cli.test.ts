/** `gemini-key-pool` end to end: the real bin shim spawned against a temporary database, and a running gateway on it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat, eventually, keysByMask } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/gemini-key-pool.js', import.meta.url));
const K1 = fakeKey('cli-one');
const K2 = fakeKey('cli-two');
const K3 = fakeKey('cli-three');
const K4 = fakeKey('cli-four');

let mock: MockGemini;
let dir: string;
let databasePath: string;
/** Key ids by key, from `keys list`: SQLite may skip ids (a duplicate insert uses one up), so they are looked up. */
const id: Record<string, string> = {};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_PATH: databasePath,
          UPSTREAM_BASE_URL: mock.url,
          ...opts.env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

async function cliJson(
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<any> {
  const run = await cli([...args, '--json'], opts);
  if (run.code !== 0) throw new Error(`${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

beforeAll(async () => {
  mock = await startMockGemini();
  dir = mkdtempSync(join(tmpdir(), 'gkp-cli-'));
  databasePath = join(dir, 'data', 'pool.sqlite');
});

afterAll(async () => {
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Each spawned command starts Node and tsx: allow for a loaded machine.
describe('gemini-key-pool CLI', { timeout: 120_000 }, () => {
  it('has --help for the tool, each group and each command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const name of [
      'keys add',
      'keys list',
      'keys enable',
      'keys disable',
      'keys rm',
      'keys validate',
      'config get',
      'config set',
      'tokens create',
      'tokens list',
      'tokens update',
      'tokens revoke',
      'keys set-group',
      'stats',
    ]) {
      expect(top.stdout).toContain(name);
      // In process, to spare a dozen process starts; the spawned path is the same function.
      const out: string[] = [];
      const io = {
        out: (t: string) => out.push(t),
        err: (t: string) => out.push(t),
        env: {},
        readStdin: async () => '',
      };
      expect(await runCli([...name.split(' '), '--help'], io), name).toBe(0);
      expect(out.join('\n')).toContain(`Usage: gemini-key-pool ${name}`);
      expect(out.join('\n')).toContain('--json');
    }
    const spawned = await cli(['keys', 'add', '--help']);
    expect(spawned.code).toBe(0);
    expect(spawned.stdout).toContain('--file PATH');
    expect((await cli(['keys', '--help'])).stdout).toContain('keys validate');
    const unknown = await cli(['keys', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
    const badOption = await cli(['keys', 'list', '--bogus']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('--help');
  });

  it('adds, lists, disables, enables and removes keys, with masked keys only', async () => {
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# my keys\n${K1},one@example.com,proj-x\n${K2}\nnot-a-key\n`);
    expect(await cliJson(['keys', 'add', '--file', file])).toEqual({ added: 2, duplicates: 0, invalid: 1 });
    expect(
      await cliJson(['keys', 'add', '--file', '-', '--project', 'proj-y'], { input: `${K2}\n${K3}\n` }),
    ).toEqual({
      added: 1,
      duplicates: 1,
      invalid: 0,
    });
    const text = await cli(['keys', 'add', K4]);
    expect(text.stdout).toBe('Added 1 key(s); 0 already present; 0 invalid line(s) skipped.\n');

    const list = await cliJson(['keys', 'list']);
    expect(list.keys.map((k: any) => [k.key, k.gmail_email, k.project, k.state])).toEqual([
      [maskKey(K1), 'one@example.com', 'proj-x', 'active'],
      [maskKey(K2), null, null, 'active'],
      [maskKey(K3), null, 'proj-y', 'active'],
      [maskKey(K4), null, null, 'active'],
    ]);
    for (const [i, k] of [K1, K2, K3, K4].entries()) id[k] = String(list.keys[i].id);
    const human = await cli(['keys', 'list']);
    expect(human.stdout.split('\n')[0]).toMatch(/^ID\s+KEY\s+STATE\s+REQUESTS/);
    for (const out of [JSON.stringify(list), human.stdout])
      for (const k of [K1, K2, K3, K4]) expect(out).not.toContain(k);

    expect(await cliJson(['keys', 'disable', id[K2]!])).toEqual({
      disabled: [Number(id[K2])],
      not_found: [],
    });
    expect((await cliJson(['keys', 'list', '--state', 'disabled'])).keys).toEqual([
      expect.objectContaining({
        id: Number(id[K2]),
        disabled: { by: 'manual', reason: 'manual', until: null },
      }),
    ]);
    const disabledRow = (await cli(['keys', 'list', '--state', 'disabled'])).stdout.split('\n')[1]!;
    expect(disabledRow).toMatch(/\bmanual\s*$/);
    expect(disabledRow).not.toContain('manual: manual');
    const missing = await cli(['keys', 'enable', id[K2]!, '99']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`1 key(s) enabled: ${id[K2]}`);
    expect(missing.stderr).toContain('No key with id: 99');
    expect((await cliJson(['keys', 'list', '--state', 'disabled'])).keys).toEqual([]);

    expect(await cliJson(['keys', 'rm', id[K4]!])).toEqual({ deleted: 1, not_found: [] });
    expect((await cli(['keys', 'rm', id[K4]!])).code).toBe(1);
    expect((await cli(['keys', 'disable', 'x'])).code).toBe(2);
  });

  it('gets and sets config, refusing a bad value without changing anything', async () => {
    expect(await cliJson(['config', 'set', 'max_retries=2'])).toEqual({
      updated: { max_retries: '2' },
    });
    expect((await cli(['config', 'set', 'rotation_strategy', 'least_used'])).stdout).toBe(
      'rotation_strategy = least_used\n',
    );
    expect((await cli(['config', 'get', 'max_retries'])).stdout).toBe('2\n');
    const bad = await cli(['config', 'set', 'max_retries=3', 'request_timeout_ms=fast']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('request_timeout_ms must be a number');
    expect((await cli(['config', 'get', 'max_retries'])).stdout).toBe('2\n');
    expect((await cli(['config', 'set', 'model_aliases', 'claude-*=gemini-2.5-flash'])).stdout).toBe(
      'model_aliases = claude-*=gemini-2.5-flash\n',
    );
    const badAliases = await cli(['config', 'set', 'model_aliases=claude-*']);
    expect(badAliases.code).toBe(1);
    expect(badAliases.stderr).toContain('pattern=model');
    expect((await cli(['config', 'get', 'model_aliases'])).stdout).toBe('claude-*=gemini-2.5-flash\n');
    const all = await cliJson(['config', 'get']);
    expect(all.config.find((c: any) => c.key === 'local_rpm_limit')).toMatchObject({
      value: '0',
      default: '0',
    });
    expect((await cli(['config', 'get', 'nope'])).code).toBe(2);
  });

  it('validates keys upstream like the API: dead keys disabled, hand-disabled keys never sent', async () => {
    mock.reset();
    mock.setKey(K1, 'invalid');
    await cliJson(['keys', 'disable', id[K3]!]);
    const report = await cliJson(['keys', 'validate']);
    expect(report.results.map((r: any) => [String(r.id), r.result, r.action])).toEqual([
      [id[K1], 'invalid', 'disabled'],
      [id[K2], 'valid', 'none'],
      [id[K3], 'skipped', 'none'],
    ]);
    expect(mock.stats().byKey).toEqual({ [maskKey(K1)]: 1, [maskKey(K2)]: 1 });
    expect((await cliJson(['keys', 'list', '--state', 'disabled'])).keys.map((k: any) => k.disabled)).toEqual(
      [
        { by: 'auto', reason: 'API_KEY_INVALID', until: null },
        { by: 'manual', reason: 'manual', until: null },
      ],
    );
    mock.setKey(K1, 'ok');
    const human = await cli(['keys', 'validate', id[K1]!]);
    expect(human.stdout).toMatch(/^ID\s+KEY\s+RESULT/);
    expect(human.stdout).toContain('1 enabled, 0 disabled.');
    await cliJson(['keys', 'enable', id[K3]!]);
  });

  it('creates, lists and revokes access tokens, and a running gateway picks CLI changes up', async () => {
    const gw: TestGateway = await startNodeGateway({
      upstreamUrl: mock.url,
      databasePath,
      config: { snapshot_refresh_seconds: 1 },
    });
    try {
      const created = await cliJson(['tokens', 'create', 'ci']);
      expect(created.secret).toMatch(/^gkp_/);
      const models = (token: string) =>
        fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await models(created.secret)).toBe(200);
      const listed = await cliJson(['tokens', 'list']);
      expect(JSON.stringify(listed)).not.toContain(created.secret);
      expect(listed.tokens.find((t: any) => t.id === created.token.id)).toMatchObject({
        name: 'ci',
        revoked_at: null,
      });
      expect(await cliJson(['tokens', 'revoke', String(created.token.id)])).toEqual({
        revoked: [created.token.id],
        not_found: [],
      });
      expect((await cli(['tokens', 'revoke', String(created.token.id)])).code).toBe(1);

      // A key added and another disabled from the shell reach the running pool at its next refresh.
      const added = await cliJson(['keys', 'add', '--file', '-'], { input: `${fakeKey('cli-live')}\n` });
      expect(added.added).toBe(1);
      await cliJson(['keys', 'disable', id[K2]!]);
      await cliJson(['config', 'set', 'max_retries=1']);
      await eventually(async () => {
        const keys = await keysByMask(gw);
        return keys.has(maskKey(fakeKey('cli-live'))) && keys.get(maskKey(K2)).state === 'disabled';
      }, 'the CLI changes to reach the running gateway');
      await eventually(() => gw.running.gateway.service.config.maxRetries === 1, 'the config change');

      // Traffic through the gateway shows up in the CLI's stats.
      mock.reset();
      for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
      await gw.running.gateway.flush();
      const stats = await cliJson(['stats', '--range', 'hour']);
      // Three chats, plus the model list the new token fetched above.
      expect(stats.totals.requests).toBe(4);
      expect(stats.by_model).toEqual([
        { model: 'gemini-2.5-flash', requests: 3, errors: 0, total_tokens: expect.any(Number) },
        { model: null, requests: 1, errors: 0, total_tokens: 0 },
      ]);
      expect(stats.keys).toMatchObject({ total: 4, disabled: 1 });
      const text = await cli(['stats']);
      expect(text.stdout).toContain('Requests 4, errors 0');
      expect((await cli(['stats', '--range', 'year'])).code).toBe(2);
    } finally {
      await gw.close();
    }
  });
});
