/** The CLI's token rules and key groups, run in process against a temporary SQLite file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { fakeKey } from '../support/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-cli-tokens-'));
const env = { DATABASE_PATH: join(dir, 'pool.sqlite') };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    env,
    readStdin: async () => '',
  };
  const code = await runCli(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('CLI: token rules and key groups', () => {
  it('creates a token with rules, updates it, and refuses bad flags by name', async () => {
    const created = await run(
      'tokens',
      'create',
      'class',
      '--rpm',
      '60',
      '--models',
      'gemini-2.5-flash*',
      '--expires',
      '2027-01-01',
      '--json',
    );
    expect(created.code).toBe(0);
    const token = JSON.parse(created.out).token;
    expect(token).toMatchObject({
      rpm: 60,
      models: ['gemini-2.5-flash*'],
      expires_at: '2027-01-01T00:00:00.000Z',
      enabled: true,
      key_group: null,
    });
    const updated = await run(
      'tokens',
      'update',
      String(token.id),
      '--rpm',
      '0',
      '--tpd',
      '5000',
      '--group',
      'team-a',
      '--pause',
      '--json',
    );
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.out).token).toMatchObject({
      rpm: null,
      tpd: 5000,
      key_group: 'team-a',
      enabled: false,
    });
    expect((await run('tokens', 'list')).out).toContain('paused; models gemini-2.5-flash*; tpd 5000');

    const badRpm = await run('tokens', 'create', 'x', '--rpm', 'lots');
    expect(badRpm.code).toBe(2);
    expect(badRpm.err).toContain('--rpm');
    const badDate = await run('tokens', 'update', String(token.id), '--expires', 'soon');
    expect(badDate.code).toBe(2);
    expect(badDate.err).toContain('--expires');
    expect((await run('tokens', 'update', String(token.id))).code).toBe(2);
    expect((await run('tokens', 'update', '999', '--rpm', '1')).code).toBe(1);
  });

  it('sets key groups at import and with keys set-group, and lists by group', async () => {
    const k1 = fakeKey('cli-grp-1');
    const k2 = fakeKey('cli-grp-2');
    expect((await run('keys', 'add', `${k1},,,team-a`, k2)).code).toBe(0);
    const keys = JSON.parse((await run('keys', 'list', '--json')).out).keys;
    expect(keys.map((k: any) => k.group)).toEqual(['team-a', null]);
    expect((await run('keys', 'set-group', 'team-b', String(keys[1].id))).code).toBe(0);
    const teamB = JSON.parse((await run('keys', 'list', '--group', 'team-b', '--json')).out).keys;
    expect(teamB.map((k: any) => k.id)).toEqual([keys[1].id]);
    expect((await run('keys', 'set-group', '-', String(keys[0].id))).code).toBe(0);
    expect(JSON.parse((await run('keys', 'list', '--group', '-', '--json')).out).keys).toHaveLength(1);
    expect((await run('keys', 'set-group', 'bad group', '1')).code).toBe(2);
    expect((await run('keys', 'set-group', 'team-b', '999')).code).toBe(1);
  });
});
