/** The seed's documented queries, run as written through `psql`, answer truthfully on PostgreSQL. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { createTestDatabase, findPostgresBinDir, postgresMissing } from '../support/postgres-server.js';
import { SEED_QUERIES, runSeedActivity } from './seed-activity.js';

/** Runs `query` in psql and returns its rows as `|`-separated lines (NULL as empty), in psql's order. */
function psql(url: string, query: string): string[] {
  const out = execFileSync(
    join(findPostgresBinDir()!, 'psql'),
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', query],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter((line) => line !== '');
}

describe.skipIf(postgresMissing())('the seed queries on PostgreSQL', () => {
  it("answers the seed's three queries after keys, traffic, a disable and config", async () => {
    const url = await createTestDatabase();
    const storage = await openPostgresStorage(url, { changeFeed: false });
    try {
      const { two, three } = await runSeedActivity(storage);
      expect(psql(url, SEED_QUERIES.keys).sort()).toEqual(
        ['1|one@gmail.com|1|2|1', `${two}||1|2|0`, `${three}||0|0|0`].sort(),
      );
      expect(psql(url, SEED_QUERIES.usage).sort()).toEqual(['chat.completions|2', 'embeddings|1']);
      expect(psql(url, SEED_QUERIES.config)).toEqual(['rotation_strategy|least_used|strategy']);
    } finally {
      await storage.close?.();
    }
  });
});
