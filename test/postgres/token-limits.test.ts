/** Token-limit reservations from several writers at once on one PostgreSQL database never overshoot. */
import { describe, expect, it } from 'vitest';
import type { Storage, TokenReservation } from '../../src/core/ports.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';

describe.skipIf(postgresMissing())('token-limit reservations on PostgreSQL', () => {
  it('admit exactly the limit across 3 writers sending 20 concurrent batches each', async () => {
    const url = await createTestDatabase();
    const writers: Storage[] = [];
    for (let i = 0; i < 3; i++)
      writers.push(await openPostgresStorage(url, { changeFeed: false, poolSize: 4 }));
    try {
      const now = Date.now();
      const reservation = (tokenId: number): TokenReservation => ({
        tokenId,
        minuteEnd: now + 60_000,
        dayEnd: now + 86_400_000,
        rpm: 10,
        rpd: null,
        tpm: null,
        tpd: null,
      });
      // Each batch reserves for tokens 1 and 2 (in both orders across batches: locks must not deadlock).
      const batches = writers.flatMap((w) =>
        Array.from({ length: 20 }, (_, i) =>
          w.limits.reserveTokenRequests(
            i % 2 ? [reservation(1), reservation(2)] : [reservation(2), reservation(1)],
          ),
        ),
      );
      const results = await Promise.all(batches);
      const admitted = (token: number) =>
        results.reduce((n, r, i) => n + (r[(i % 20) % 2 ? token - 1 : 2 - token] ? 1 : 0), 0);
      expect(admitted(1)).toBe(10);
      expect(admitted(2)).toBe(10);
      const counts = await writers[0]!.limits.tokenCounts(1, now + 60_000, now + 86_400_000);
      expect(counts.minuteRequests).toBe(10);
    } finally {
      await Promise.all(writers.map((w) => w.close?.()));
    }
  });
});
