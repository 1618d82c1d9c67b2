import { describe, expect, it } from 'vitest';
import { makeKey } from '../pool/make-key.js';
import { KeyPool } from '../pool/pool.js';
import type { ResourceOwner, ResourceStore } from '../ports.js';
import { ResourceOwnership } from './ownership.js';
import { mayReferenceResources, NO_RESOURCES, referencedResources, scanResources } from './reference-scan.js';
import { kindOf, nameFromReference } from './resource-names.js';

const T0 = 1_800_000_000_000;
/** A body's text and its parsed JSON, as `readJsonBody` returns them. */
const scan = (value: unknown) => scanResources(JSON.stringify(value), value);

describe('resource references', () => {
  it('finds file URIs and caches in native and OpenAI-compatible bodies, each once', () => {
    const body = {
      contents: [
        {
          role: 'user',
          parts: [{ text: 'a' }, { fileData: { fileUri: 'https://x.test/v1beta/files/abc1' } }],
        },
        { role: 'user', parts: [{ file_data: { file_uri: 'files/def2' } }] },
        { role: 'user', parts: [{ fileData: { fileUri: 'https://x.test/v1beta/files/abc1?alt=media' } }] },
      ],
      cachedContent: 'cachedContents/c1',
    };
    expect([...scan(body)].sort()).toEqual(['cachedContents/c1', 'files/abc1', 'files/def2']);
    const chat = {
      model: 'm',
      messages: [],
      extra_body: { google: { cached_content: 'cachedContents/c2' } },
    };
    expect(scan(chat)).toEqual(['cachedContents/c2']);
  });

  it('rules bodies out by their text without walking them, and ignores malformed names', () => {
    const text = JSON.stringify({ contents: [{ parts: [{ text: 'file cached Content fileuri' }] }] });
    expect(mayReferenceResources(text)).toBe(false);
    for (const field of ['fileUri', 'file_uri', 'cachedContent', 'cached_content']) {
      expect(mayReferenceResources(`{"${field}":1}`)).toBe(true);
    }
    // The text alone answers: a body without the field names is not walked.
    const unwalkable = new Proxy({}, { ownKeys: () => expect.unreachable('walked') });
    expect(scanResources('{"model":"m"}', unwalkable)).toBe(NO_RESOURCES);
    expect(
      referencedResources({ cachedContent: 'other/x', fileData: { fileUri: 'https://x/y/../files/a b' } }),
    ).toEqual([]);
    expect(nameFromReference('file', 'https://h/v1beta/files/ok-1')).toBe('files/ok-1');
    expect(kindOf('models/veo/operations/o1')).toBe('operations');
    expect(kindOf('keys/x')).toBeNull();
  });
});

describe('KeyPool.pickOwner', () => {
  function setup() {
    const clock = { t: T0, now: () => clock.t };
    const pool = new KeyPool({ clock, random: { next: () => 0.5 } });
    pool.replaceAll([
      makeKey(1, { project: 'p1' }),
      makeKey(2, { project: 'p2' }),
      makeKey(3, { project: 'p1' }),
      makeKey(4),
    ]);
    return { clock, pool };
  }

  it('picks the owner first, then an equal owner of its project, never another project', () => {
    const { pool } = setup();
    const owner = { keyId: 3, project: null };
    expect(pool.pickOwner(owner, 'm')).toMatchObject({ ok: true, key: { id: 3 } });
    expect(pool.pickOwner(owner, 'm', new Set([3]))).toMatchObject({ ok: true, key: { id: 1 } });
    expect(pool.pickOwner(owner, 'm', new Set([1, 3]))).toEqual({ ok: false, reason: 'unavailable' });
    expect(pool.pickOwner({ keyId: 4, project: null }, 'm', new Set([4]))).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });

  it('answers cooling with the wait of the first owner to recover', () => {
    const { pool } = setup();
    pool.apply({ keyId: 1, cooldowns: [{ model: 'm', until: T0 + 30_000, reason: 'per_minute' }] });
    pool.apply({ keyId: 3, cooldowns: [{ model: 'm', until: T0 + 10_000, reason: 'per_minute' }] });
    expect(pool.pickOwner({ keyId: 1, project: 'p1' }, 'm')).toEqual({
      ok: false,
      reason: 'cooling',
      retryAfterMs: 10_000,
    });
    expect(pool.pickOwner({ keyId: 1, project: 'p1' }, 'other')).toMatchObject({ ok: true, key: { id: 1 } });
  });
});

class FakeStore implements ResourceStore {
  rows = new Map<string, ResourceOwner>();
  reads = 0;
  async findOwners(names: readonly string[]) {
    this.reads++;
    return names.flatMap((n) => (this.rows.has(n) ? [this.rows.get(n)!] : []));
  }
  async recordOwner(owner: ResourceOwner) {
    this.rows.set(owner.name, owner);
  }
  async forgetOwners(names: readonly string[]) {
    let n = 0;
    for (const name of names) if (this.rows.delete(name)) n++;
    return n;
  }
  async ownerKeyIds() {
    return [];
  }
  async recentOwnerKey() {
    return null;
  }
  async countByKey() {
    return new Map<number, number>();
  }
  async countForKey() {
    return 0;
  }
  async pruneExpired() {
    return 0;
  }
}

describe('ResourceOwnership', () => {
  const owner = (name: string, keyId: number, project: string | null = null): ResourceOwner => ({
    name,
    keyId,
    project,
    accessTokenId: null,
    upstream: null,
    createdAt: T0,
    expiresAt: T0 + 1000,
  });

  it('routes to the owner, reads each record once, and reports resources of two projects', async () => {
    const store = new FakeStore();
    const clock = { now: () => T0 };
    const pool = new KeyPool({ clock, random: { next: () => 0.5 } });
    pool.replaceAll([makeKey(1, { project: 'p1' }), makeKey(2), makeKey(3, { project: 'p1' })]);
    const ownership = new ResourceOwnership({ store, clock });
    await ownership.record(owner('files/a', 1));
    await ownership.record(owner('cachedContents/b', 3, 'p1'));
    await ownership.record(owner('files/c', 2));
    expect(await ownership.route([], pool)).toEqual({ kind: 'any' });
    expect(await ownership.route(['files/unknown'], pool)).toEqual({ kind: 'any' });
    const same = await ownership.route(['files/a', 'cachedContents/b'], pool);
    expect(same).toMatchObject({ kind: 'owner', owner: { keyId: 1, project: 'p1' } });
    const reads = store.reads;
    await ownership.route(['files/a', 'cachedContents/b'], pool);
    expect(store.reads).toBe(reads);
    expect(await ownership.route(['files/a', 'files/c'], pool)).toEqual({
      kind: 'conflict',
      groups: [['files/a'], ['files/c']],
    });
    await ownership.forget(['files/a']);
    expect(await ownership.route(['files/a'], pool)).toEqual({ kind: 'any' });
  });

  it('ignores expired records', async () => {
    const store = new FakeStore();
    const clock = { t: T0, now: () => clock.t };
    const ownership = new ResourceOwnership({ store, clock });
    await ownership.record(owner('files/a', 1));
    clock.t = T0 + 1000;
    expect(await ownership.find(['files/a'])).toEqual([]);
  });
});
