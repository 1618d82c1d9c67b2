/** The activity after which the seed's documented SQL queries are checked, on every database. */
import type { Storage } from '../../src/core/ports.js';
import { T0, counter, emptyBatch, seedKeys, usage } from './fixture.js';

/** The seed's three documented queries, exactly as the README gives them. */
export const SEED_QUERIES = {
  keys: 'SELECT id, gmail_email, is_active, total_requests, error_count FROM api_keys;',
  usage: 'SELECT endpoint, COUNT(*) as count FROM api_key_usage GROUP BY endpoint;',
  config: 'SELECT * FROM pool_config;',
} as const;

/**
 * Adds three keys (the first with an email), records traffic, disables the third, turns the second
 * off and on again, and sets one config value. Returns the ids of the second and third keys.
 */
export async function runSeedActivity(storage: Storage): Promise<{ two: number; three: number }> {
  await storage.keys.addKeys(
    [{ apiKey: 'AIzaSyA-seed-key-one-xxxxxxxxxxxxxxxxxx', email: 'one@gmail.com' }],
    T0,
  );
  const [two, three] = (await seedKeys(storage, 2, T0, 50)) as [number, number];
  await storage.keys.applyBatch(
    {
      usage: [
        usage({ keyId: 1, endpoint: 'chat.completions' }),
        usage({ keyId: 1, endpoint: 'chat.completions', status: 429, outcome: 'rate-limited' }),
        usage({ keyId: two, endpoint: 'embeddings' }),
      ],
      counters: [counter(1, { requests: 2, errors: 1 }), counter(two)],
      changes: [{ keyId: three, disabled: { by: 'auto', reason: 'API_KEY_INVALID', until: null } }],
    },
    T0 + 1,
  );
  await storage.keys.updateKey(two, { isActive: false }, T0 + 2);
  await storage.keys.updateKey(two, { isActive: true }, T0 + 3);
  await storage.keys.applyBatch({ ...emptyBatch(), counters: [counter(two)] }, T0 + 4);
  await storage.config.setConfigValues([
    { key: 'rotation_strategy', value: 'least_used', description: 'strategy' },
  ]);
  return { two, three };
}
