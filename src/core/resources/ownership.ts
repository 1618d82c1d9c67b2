/**
 * Resource ownership: which key (and so which Google Cloud project) owns each project-bound
 * resource, so a request that names one goes to its owner outside the rotation. Records live in
 * the `ResourceStore` (shared by every process and isolate); this service keeps the ones it has
 * seen in memory, so a resource costs one indexed read per process, not one per request.
 */
import type { KeyPool, ResourceOwnerRef } from '../pool/pool.js';
import type { Clock, ResourceOwner, ResourceStore } from '../ports.js';

/** Records kept in memory at most; the map is cleared when full (records are re-read on demand). */
const MAX_CACHED = 10_000;

/** What a request's resources say about where it may go. */
export type OwnerRoute =
  | { kind: 'any' }
  | { kind: 'owner'; owner: ResourceOwnerRef; records: ResourceOwner[] }
  /** Resources of more than one project: no key can serve them together. */
  | { kind: 'conflict'; groups: string[][] };

export class ResourceOwnership {
  readonly #cache = new Map<string, ResourceOwner>();

  constructor(private readonly deps: { store: ResourceStore; clock: Clock }) {}

  /** The known records of `names`: memory first, then one read for the rest. Expired ones are left out. */
  async find(names: readonly string[]): Promise<ResourceOwner[]> {
    const now = this.deps.clock.now();
    const out: ResourceOwner[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const cached = this.#cache.get(name);
      if (cached) out.push(cached);
      else missing.push(name);
    }
    if (missing.length > 0) {
      for (const record of await this.deps.store.findOwners(missing)) {
        this.#remember(record);
        out.push(record);
      }
    }
    return out.filter((r) => r.expiresAt === null || r.expiresAt > now);
  }

  /** Stores a new owner (and remembers it here). */
  async record(owner: ResourceOwner): Promise<void> {
    await this.deps.store.recordOwner(owner);
    this.#remember(owner);
  }

  /** Drops records (a resource deleted, or gone upstream). */
  async forget(names: readonly string[]): Promise<void> {
    for (const name of names) this.#cache.delete(name);
    await this.deps.store.forgetOwners(names);
  }

  /**
   * Where a request naming `names` may go: to their owner (or an equal owner in its project),
   * anywhere when none of them is known, or nowhere when they belong to different projects.
   */
  async route(names: readonly string[], pool: KeyPool): Promise<OwnerRoute> {
    if (names.length === 0) return { kind: 'any' };
    const records = await this.find(names);
    if (records.length === 0) return { kind: 'any' };
    const groups = new Map<string, string[]>();
    for (const record of records) {
      const project = record.project ?? pool.get(record.keyId)?.project ?? null;
      const group = project === null ? `key:${record.keyId}` : `project:${project}`;
      const list = groups.get(group);
      if (list) list.push(record.name);
      else groups.set(group, [record.name]);
    }
    if (groups.size > 1) return { kind: 'conflict', groups: [...groups.values()] };
    const first = records[0]!;
    const project = first.project ?? pool.get(first.keyId)?.project ?? null;
    return { kind: 'owner', owner: { keyId: first.keyId, project }, records };
  }

  #remember(record: ResourceOwner): void {
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(record.name, record);
  }
}
