import { describe, expect, it } from 'vitest';
import { SettingsError, readDatabase } from './env.js';

describe('DATABASE_URL', () => {
  it('keeps the SQLite file when unset, and takes sqlite:<path> as that file', () => {
    expect(readDatabase({})).toEqual({ databasePath: './data/pool.sqlite', databaseUrl: null });
    expect(readDatabase({ DATABASE_PATH: '/srv/pool.sqlite' })).toEqual({
      databasePath: '/srv/pool.sqlite',
      databaseUrl: null,
    });
    expect(readDatabase({ DATABASE_URL: 'sqlite:./x.sqlite' }).databasePath).toBe('./x.sqlite');
    expect(readDatabase({ DATABASE_URL: 'sqlite:///var/x.sqlite' }).databasePath).toBe('/var/x.sqlite');
  });

  it('selects PostgreSQL for postgres:// and postgresql:// URLs', () => {
    for (const url of ['postgres://gkp:pw@db:5432/pool', 'postgresql://db/pool?sslmode=require']) {
      expect(readDatabase({ DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });

  it('refuses a bad URL with a clear error that never shows the password', () => {
    const cases = [
      'mysql://root:s3cret-pw@db/pool',
      'postgres://gkp:s3cret-pw@/pool',
      'postgres://gkp:s3cret-pw@db:5432/',
      'postgres://gkp:s3cret-pw@db:notaport/pool',
      'sqlite:',
    ];
    for (const url of cases) {
      let error: unknown;
      try {
        readDatabase({ DATABASE_URL: url });
      } catch (err) {
        error = err;
      }
      expect(error, url).toBeInstanceOf(SettingsError);
      expect((error as Error).message, url).toMatch(/DATABASE_URL/);
      expect((error as Error).message, url).not.toContain('s3cret-pw');
    }
  });
});
