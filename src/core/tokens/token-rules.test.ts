import { describe, expect, it } from 'vitest';
import { parseIsoTime, parseTokenRules } from './token-rules.js';

describe('parseTokenRules', () => {
  it('reads every field, and only the fields present', () => {
    expect(
      parseTokenRules({
        models: [' gemini-2.5-flash* ', 'gemini-embedding-001', 'gemini-embedding-001'],
        rpm: 60,
        rpd: 0,
        tpm: null,
        tpd: 1000,
        expires_at: '2027-01-01',
        key_group: 'team-a',
        enabled: false,
        name: 'ignored',
      }),
    ).toEqual({
      ok: true,
      rules: {
        models: ['gemini-2.5-flash*', 'gemini-embedding-001'],
        rpm: 60,
        rpd: null,
        tpm: null,
        tpd: 1000,
        expiresAt: Date.UTC(2027, 0, 1),
        keyGroup: 'team-a',
        enabled: false,
      },
    });
    expect(parseTokenRules({ key_group: '*', models: null })).toEqual({
      ok: true,
      rules: { keyGroup: '*', models: [] },
    });
    expect(parseTokenRules({})).toEqual({ ok: true, rules: {} });
  });

  it('names the field it refuses', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ models: 'gemini' }, 'models'],
      [{ models: ['has space'] }, 'models'],
      [{ rpm: 1.5 }, 'rpm'],
      [{ tpd: -1 }, 'tpd'],
      [{ rpd: '10' }, 'rpd'],
      [{ expires_at: 'tomorrow' }, 'expires_at'],
      [{ expires_at: 5 }, 'expires_at'],
      [{ key_group: 'a b' }, 'key_group'],
      [{ enabled: 'yes' }, 'enabled'],
    ];
    for (const [input, param] of bad) expect(parseTokenRules(input)).toMatchObject({ ok: false, param });
  });

  it('parses ISO times to the millisecond, a bare date as midnight UTC', () => {
    expect(parseIsoTime('2027-01-01T00:00:01Z')).toBe(Date.UTC(2027, 0, 1, 0, 0, 1));
    expect(parseIsoTime('2027-01-01T08:00:00+08:00')).toBe(Date.UTC(2027, 0, 1));
    expect(parseIsoTime('2027-13-01')).toBeNull();
    expect(parseIsoTime('01/01/2027')).toBeNull();
  });
});
