/** ResourceStore: ownership records of project-bound resources. */
import { expect, it } from 'vitest';
import type { ResourceOwner } from '../../src/core/ports.js';
import { type MakeStorage, T0, useFixture } from './fixture.js';

const owner = (name: string, keyId: number, over: Partial<ResourceOwner> = {}): ResourceOwner => ({
  name,
  keyId,
  project: null,
  accessTokenId: null,
  upstream: null,
  createdAt: T0,
  expiresAt: null,
  ...over,
});

export function resourceContract(make: MakeStorage): void {
  const fx = useFixture(make);

  it('records, finds, replaces and forgets owners', async () => {
    const { resources } = fx().storage;
    expect(await resources.findOwners(['files/a'])).toEqual([]);
    await resources.recordOwner(owner('files/a', 1, { project: 'p1', expiresAt: T0 + 10 }));
    await resources.recordOwner(
      owner('uploads/u1', 2, { accessTokenId: 7, upstream: '/upload/v1beta/files?upload_id=x' }),
    );
    await resources.recordOwner(owner('files/a', 3, { project: 'p3', expiresAt: T0 + 20 }));
    const found = await resources.findOwners(['files/a', 'uploads/u1', 'files/none']);
    expect(found.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      owner('files/a', 3, { project: 'p3', expiresAt: T0 + 20 }),
      owner('uploads/u1', 2, { accessTokenId: 7, upstream: '/upload/v1beta/files?upload_id=x' }),
    ]);
    expect(await resources.forgetOwners(['files/a', 'files/none'])).toBe(1);
    expect(await resources.findOwners(['files/a'])).toEqual([]);
  });

  it('lists owner keys by kind, counts per key, and prunes expired rows only', async () => {
    const { resources } = fx().storage;
    await resources.recordOwner(owner('files/a', 2, { expiresAt: T0 + 100 }));
    await resources.recordOwner(owner('files/b', 1));
    await resources.recordOwner(owner('files/old', 5, { expiresAt: T0 - 1 }));
    await resources.recordOwner(owner('cachedContents/c', 3, { expiresAt: T0 + 100 }));
    await resources.recordOwner(owner('uploads/u', 4));
    // `_` and `%` in a prefix are literal.
    await resources.recordOwner(owner('filesXa', 6));
    expect(await resources.ownerKeyIds('files/', T0)).toEqual([1, 2]);
    expect(await resources.ownerKeyIds('cachedContents/', T0)).toEqual([3]);
    expect(await resources.ownerKeyIds('files_', T0)).toEqual([]);
    expect(Object.fromEntries(await resources.countByKey(T0))).toEqual({ 1: 1, 2: 1, 3: 1, 6: 1 });
    // Expired records and upload sessions are not counted.
    expect(await resources.countForKey(2, T0)).toBe(1);
    expect(await resources.countForKey(2, T0 + 100)).toBe(0);
    expect(await resources.countForKey(4, T0)).toBe(0);
    expect(await resources.countForKey(5, T0)).toBe(0);
    expect(await resources.pruneExpired(T0 + 100)).toBe(3);
    expect((await resources.findOwners(['files/b', 'uploads/u'])).length).toBe(2);
  });

  it('finds the key of the newest resource of an access token within a window', async () => {
    const { resources } = fx().storage;
    await resources.recordOwner(owner('files/a', 1, { accessTokenId: 9, createdAt: T0 }));
    await resources.recordOwner(owner('files/b', 2, { accessTokenId: 9, createdAt: T0 + 5 }));
    await resources.recordOwner(owner('cachedContents/c', 3, { accessTokenId: 9, createdAt: T0 + 9 }));
    await resources.recordOwner(owner('files/d', 4, { accessTokenId: 8, createdAt: T0 + 9 }));
    expect(await resources.recentOwnerKey(9, 'files/', T0)).toBe(2);
    expect(await resources.recentOwnerKey(9, 'files/', T0 + 6)).toBeNull();
    expect(await resources.recentOwnerKey(7, 'files/', T0)).toBeNull();
  });
}
