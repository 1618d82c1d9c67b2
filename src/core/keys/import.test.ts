import { describe, expect, it } from 'vitest';
import { parseKeyList, parseKeyText } from './import.js';

const K1 = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrXy11';
const K2 = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrXy22';
const K3 = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrXy33';

describe('parseKeyText', () => {
  it('reads key[,email[,project]] lines, skipping blanks and comments', () => {
    const text = `# my keys\n${K1}\n\n  ${K2} , a@b.com \n${K3},,proj-1\r\n`;
    expect(parseKeyText(text)).toEqual({
      keys: [
        { apiKey: K1, email: null, project: null },
        { apiKey: K2, email: 'a@b.com', project: null },
        { apiKey: K3, email: null, project: 'proj-1' },
      ],
      invalid: 0,
    });
  });

  it('accepts tabs as separators', () => {
    expect(parseKeyText(`${K1}\ta@b.com\tp:1`).keys).toEqual([
      { apiKey: K1, email: 'a@b.com', project: 'p:1' },
    ]);
  });

  it('reads a comma-separated list of keys (GEMINI_API_KEYS)', () => {
    expect(parseKeyText(`${K1},${K2}, ${K3}`)).toEqual({
      keys: [K1, K2, K3].map((apiKey) => ({ apiKey, email: null, project: null })),
      invalid: 0,
    });
    expect(parseKeyText(`${K1},${K2},short`).invalid).toBe(1);
  });

  it('counts bad keys, projects, emails and extra fields as invalid', () => {
    const text = [
      'not-a-key',
      `${K1},a@b.com,bad project`,
      `${K2},${'x'.repeat(321)}`,
      `${K3},a@b.com,p,team,extra`,
      `${K3},a@b.com,p,bad group`,
      ',a@b.com',
    ].join('\n');
    expect(parseKeyText(text)).toEqual({ keys: [], invalid: 6 });
  });

  it('reads a key group as the fourth field', () => {
    expect(parseKeyText(`${K1},a@b.com,p,team-a\n${K2},,,team-b\n${K3},,,`).keys).toEqual([
      { apiKey: K1, email: 'a@b.com', project: 'p', group: 'team-a' },
      { apiKey: K2, email: null, project: null, group: 'team-b' },
      { apiKey: K3, email: null, project: null },
    ]);
    expect(
      parseKeyList([
        { api_key: K1, group: 'g' },
        { api_key: K2, group: '*' },
      ]),
    ).toEqual({
      keys: [{ apiKey: K1, email: null, project: null, group: 'g' }],
      invalid: 1,
    });
  });

  it('collapses duplicates to the first occurrence', () => {
    expect(parseKeyText(`${K1},a@b.com\n${K1},c@d.com\n${K1},${K2}`).keys).toEqual([
      { apiKey: K1, email: 'a@b.com', project: null },
      { apiKey: K2, email: null, project: null },
    ]);
  });
});

describe('parseKeyList', () => {
  it('reads admin API entries', () => {
    expect(
      parseKeyList([
        { api_key: K1, gmail_email: 'a@b.com', project: '123' },
        { api_key: ` ${K2} `, gmail_email: null },
        { api_key: K1 },
      ]),
    ).toEqual({
      keys: [
        { apiKey: K1, email: 'a@b.com', project: '123' },
        { apiKey: K2, email: null, project: null },
      ],
      invalid: 0,
    });
  });

  it('counts wrong types and shapes as invalid', () => {
    const list = [
      null,
      'x',
      [K1],
      { api_key: 5 },
      { api_key: K1, gmail_email: 7 },
      { api_key: K2, project: 'has space' },
      { api_key: 'short' },
      { api_key: K3 },
    ];
    expect(parseKeyList(list)).toEqual({ keys: [{ apiKey: K3, email: null, project: null }], invalid: 7 });
    expect(parseKeyList({ api_key: K1 })).toEqual({ keys: [], invalid: 1 });
  });
});
