/**
 * The in-memory key snapshot and usable-key selection. The strategy walks its own index and the
 * pool hands it a `usable` predicate, so a healthy pool is served in O(1)/O(log n) whatever its size.
 */
import type { StrategyName } from '../config.js';
import { normalizeModel } from '../health/model.js';
import { LocalLimiter, type LocalLimits } from '../ops/local-limits.js';
import type { Clock, Random } from '../ports.js';
import type { Cooldown, KeyCounterDelta, KeyDisable, KeyStateChange, PoolKey } from '../types.js';
import { createStrategy, type SelectionStrategy } from './strategies/index.js';

export type PickResult =
  | { ok: true; key: PoolKey }
  /** Every otherwise-usable key is cooling for this model. */
  | { ok: false; reason: 'cooling'; retryAfterMs: number }
  /** No enabled key at all (or all excluded). */
  | { ok: false; reason: 'unavailable' };

/** The key that owns a resource, and its project when known (any key of it is an equal owner). */
export interface ResourceOwnerRef {
  keyId: number;
  project: string | null;
}

export type KeyStateView =
  | { state: 'active' }
  /** Only running cooldowns. */
  | { state: 'cooling'; cooldowns: Cooldown[] }
  | { state: 'disabled'; disabled: KeyDisable };

export interface KeyPoolDeps {
  clock: Clock;
  random: Random;
  strategy?: StrategyName;
}

/** A failed pick for one model, remembered until something could change its answer. */
interface Miss {
  version: number;
  validUntil: number;
  /** When the first cooling key becomes usable; null when no key is enabled. */
  readyAt: number | null;
}

const isDisabledAt = (key: PoolKey, now: number): boolean =>
  key.disabled !== null && (key.disabled.until === null || key.disabled.until > now);

const appliesTo = (c: Cooldown, model: string | null, now: number): boolean =>
  c.until > now && (c.model === '*' || (model !== null && normalizeModel(c.model) === model));

/** Which keys a request may use: `*` any key, null the keys of no group, else one group's keys. */
export type KeyGroupFilter = string | null;
export const ANY_GROUP = '*';

/** Whether `key` belongs to the keys `group` allows. */
export const inKeyGroup = (key: PoolKey, group: KeyGroupFilter): boolean =>
  group === ANY_GROUP || key.group === group;

type Counters = Pick<PoolKey, 'totalRequests' | 'errorCount' | 'tokens'>;

function countersWithPending(
  loaded: PoolKey,
  delta: KeyCounterDelta | undefined,
  inFlight: number,
): Counters {
  return {
    totalRequests: loaded.totalRequests + (delta?.requests ?? 0) + inFlight,
    errorCount: loaded.errorCount + (delta?.errors ?? 0),
    tokens: {
      prompt: loaded.tokens.prompt + (delta?.tokens.prompt ?? 0),
      completion: loaded.tokens.completion + (delta?.tokens.completion ?? 0),
      total: loaded.tokens.total + (delta?.tokens.total ?? 0),
    },
  };
}

/**
 * Keys in memory, ordered by id, with an index by project. Usable means: not disabled (or a
 * temporary disable has ended), no running cooldown for the model or for `*`, and not at a local
 * limit for the model. Model names are compared without a leading `models/`.
 */
export class KeyPool {
  readonly #clock: Clock;
  readonly #random: Random;
  #strategy: SelectionStrategy;
  #keys: PoolKey[] = [];
  readonly #byId = new Map<number, PoolKey>();
  /** Attempts picked (`markUsed`) and not yet reported (`settled`), per key id: counted in memory, not yet buffered. */
  readonly #inFlight = new Map<number, number>();
  readonly #byProject = new Map<string, Set<PoolKey>>();
  /** Bumped by every change that can make a key usable, invalidating remembered misses. */
  #version = 0;
  readonly #misses = new Map<string | null, Miss>();
  readonly #limiter = new LocalLimiter();

  constructor(deps: KeyPoolDeps) {
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#strategy = createStrategy(deps.strategy ?? 'round_robin', deps.random);
  }

  /** Switches strategy in place (no restart); a no-op when unchanged. */
  setStrategy(name: StrategyName): void {
    if (name === this.#strategy.name) return;
    this.#strategy = createStrategy(name, this.#random);
    this.#strategy.reset(this.#keys);
  }

  /** The optional local limits; a key at its limit for a model is skipped like a cooling one. */
  get limiter(): LocalLimiter {
    return this.#limiter;
  }

  /** Changes the local limits (no restart); remembered misses are forgotten. */
  setLocalLimits(limits: LocalLimits): void {
    if (this.#limiter.setLimits(limits)) this.#changed(false);
  }

  /** Replaces the whole snapshot. */
  replaceAll(keys: PoolKey[]): void {
    this.#byId.clear();
    this.#byProject.clear();
    this.#keys = [...keys].sort((a, b) => a.id - b.id);
    for (const key of this.#keys) {
      this.#byId.set(key.id, key);
      this.#index(key);
    }
    this.#changed(true);
  }

  /**
   * Inserts or replaces keys by id. An existing key is updated in place (references held by
   * in-flight requests stay live); cooldowns are merged (the later `until` wins).
   *
   * Counters become the loaded values plus what this process has not written yet: `pending`, the
   * deltas in its write buffer, and the requests still in flight. So a reset made anywhere (another
   * process, another isolate) shows here. The caller must load with no flush running (see
   * `PoolService.doRefresh`), or `pending` would miss a batch the load did not see.
   */
  upsert(keys: PoolKey[], pending: ReadonlyMap<number, KeyCounterDelta> = new Map()): void {
    if (keys.length === 0) return;
    let added = false;
    for (const loaded of keys) {
      const existing = this.#byId.get(loaded.id);
      if (!existing) {
        this.#keys.push(loaded);
        this.#byId.set(loaded.id, loaded);
        this.#index(loaded);
        added = true;
        continue;
      }
      this.#unindex(existing);
      const cooldowns = existing.cooldowns;
      Object.assign(existing, {
        ...loaded,
        ...countersWithPending(loaded, pending.get(loaded.id), this.#inFlight.get(loaded.id) ?? 0),
        lastUsedAt: Math.max(existing.lastUsedAt ?? 0, loaded.lastUsedAt ?? 0) || null,
        cooldowns: mergeCooldowns(cooldowns, loaded.cooldowns, this.#clock.now()),
      });
      this.#index(existing);
    }
    if (added) this.#keys.sort((a, b) => a.id - b.id);
    this.#changed(true);
  }

  remove(ids: number[]): void {
    let removed = false;
    for (const id of ids) {
      const key = this.#byId.get(id);
      if (!key) continue;
      this.#byId.delete(id);
      this.#unindex(key);
      removed = true;
    }
    if (!removed) return;
    this.#keys = this.#keys.filter((k) => this.#byId.has(k.id));
    this.#changed(true);
  }

  get(id: number): PoolKey | undefined {
    return this.#byId.get(id);
  }

  /** All keys, ordered by id. */
  list(): readonly PoolKey[] {
    return this.#keys;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** Keys whose project is `project`, via an index. */
  keysInProject(project: string): PoolKey[] {
    return [...(this.#byProject.get(project) ?? [])];
  }

  isUsable(key: PoolKey, model: string | null, now: number): boolean {
    if (isDisabledAt(key, now)) return false;
    const m = model === null ? null : normalizeModel(model);
    for (const c of key.cooldowns) if (appliesTo(c, m, now)) return false;
    return !this.#limiter.enabled || this.#limiter.blockedUntil(key, m, now) <= now;
  }

  /**
   * A usable key for `model` (null: a request for no model, where only `*` cooldowns count), by the
   * strategy. When none is usable, says whether waiting helps (`cooling`) or not (`unavailable`).
   */
  pick(model: string | null, exclude?: ReadonlySet<number>, group: KeyGroupFilter = ANY_GROUP): PickResult {
    const now = this.#clock.now();
    const m = model === null ? null : normalizeModel(model);
    const remember = exclude === undefined || exclude.size === 0;
    const missId = group === ANY_GROUP ? m : `${group ?? ''}\u0000${m ?? ''}`;
    const known = remember ? this.#misses.get(missId) : undefined;
    if (known && known.version === this.#version && now < known.validUntil) return missResult(known, now);
    const key = this.#strategy.pick(
      (k) => !exclude?.has(k.id) && inKeyGroup(k, group) && this.isUsable(k, m, now),
    );
    if (key) return { ok: true, key };
    const miss = this.#miss(m, now, exclude, group);
    if (remember) {
      // Model names come from clients: keep the map small.
      if (this.#misses.size >= 256) this.#misses.clear();
      this.#misses.set(missId, miss);
    }
    return missResult(miss, now);
  }

  /**
   * A usable key among those that own a resource: the owning key first, then any other key of its
   * project (an equal owner), outside the strategy's rotation. When none is usable, `cooling` says
   * when the first of them will be; `unavailable` that none of them can serve at all.
   */
  pickOwner(owner: ResourceOwnerRef, model: string | null, exclude?: ReadonlySet<number>): PickResult {
    const now = this.#clock.now();
    const m = model === null ? null : normalizeModel(model);
    const candidates = this.ownerKeys(owner);
    for (const key of candidates) {
      if (!exclude?.has(key.id) && this.isUsable(key, m, now)) return { ok: true, key };
    }
    return missResult(this.#missAmong(candidates, m, now, exclude, ANY_GROUP), now);
  }

  /** The owning key (when still in the pool), then the other keys of the owner's project, by id. */
  ownerKeys(owner: ResourceOwnerRef): PoolKey[] {
    const first = this.#byId.get(owner.keyId);
    const project = owner.project ?? first?.project ?? null;
    const others = project === null ? [] : [...(this.#byProject.get(project) ?? [])];
    others.sort((a, b) => a.id - b.id);
    return first ? [first, ...others.filter((k) => k !== first)] : others;
  }

  /**
   * Counts a use of the pool's key with this id: `totalRequests++`, `lastUsedAt = now`, and one
   * request against the local limits for `model`.
   */
  markUsed(key: PoolKey, model: string | null = null): void {
    const live = this.#byId.get(key.id);
    const target = live ?? key;
    const now = this.#clock.now();
    target.totalRequests++;
    target.lastUsedAt = now;
    this.#inFlight.set(target.id, (this.#inFlight.get(target.id) ?? 0) + 1);
    this.#limiter.count(target, model, now);
    if (live) this.#strategy.used(live);
  }

  /** An attempt on `keyId` was reported: its request is in the write buffer now, no longer in flight. */
  settled(keyId: number): void {
    const n = (this.#inFlight.get(keyId) ?? 0) - 1;
    if (n > 0) this.#inFlight.set(keyId, n);
    else this.#inFlight.delete(keyId);
  }

  /** Applies a health change to the in-memory key; cooldowns are added or extended per model. */
  apply(change: KeyStateChange): void {
    const key = this.#byId.get(change.keyId);
    if (!key) return;
    if (change.disabled !== undefined) key.disabled = change.disabled && { ...change.disabled };
    if (change.consecutiveErrors !== undefined) key.consecutiveErrors = change.consecutiveErrors;
    if (change.cooldowns) key.cooldowns = mergeCooldowns(key.cooldowns, change.cooldowns, this.#clock.now());
    if (change.project !== undefined && change.project !== key.project) {
      this.#unindex(key);
      key.project = change.project;
      this.#index(key);
    }
    this.#changed(false);
  }

  stateOf(key: PoolKey, now: number): KeyStateView {
    if (key.disabled !== null && isDisabledAt(key, now)) return { state: 'disabled', disabled: key.disabled };
    const cooldowns = key.cooldowns.filter((c) => c.until > now);
    return cooldowns.length > 0 ? { state: 'cooling', cooldowns } : { state: 'active' };
  }

  /** Whether any key could serve `model` now; stops at the first one, and moves no strategy cursor. */
  hasUsable(model: string | null = null, group: KeyGroupFilter = ANY_GROUP): boolean {
    const now = this.#clock.now();
    for (const key of this.#keys) if (inKeyGroup(key, group) && this.isUsable(key, model, now)) return true;
    return false;
  }

  /** How many keys are usable now for `model` (O(n); for stats, not the request path). */
  usableCount(model: string | null = null): number {
    const now = this.#clock.now();
    let n = 0;
    for (const key of this.#keys) if (this.isUsable(key, model, now)) n++;
    return n;
  }

  #miss(
    model: string | null,
    now: number,
    exclude: ReadonlySet<number> | undefined,
    group: KeyGroupFilter,
  ): Miss {
    return this.#missAmong(this.#keys, model, now, exclude, group);
  }

  #missAmong(
    keys: readonly PoolKey[],
    model: string | null,
    now: number,
    exclude: ReadonlySet<number> | undefined,
    group: KeyGroupFilter,
  ): Miss {
    let readyAt = Infinity;
    let validUntil = Infinity;
    let enabled = false;
    for (const key of keys) {
      if (exclude?.has(key.id) || !inKeyGroup(key, group)) continue;
      if (key.disabled !== null) {
        if (key.disabled.until === null) continue;
        // A temporary disable that ends changes the answer, though the key does not count as enabled.
        if (key.disabled.until > now) {
          validUntil = Math.min(validUntil, key.disabled.until);
          continue;
        }
      }
      enabled = true;
      let keyReady = now;
      for (const c of key.cooldowns) if (appliesTo(c, model, now)) keyReady = Math.max(keyReady, c.until);
      if (this.#limiter.enabled) keyReady = Math.max(keyReady, this.#limiter.blockedUntil(key, model, now));
      readyAt = Math.min(readyAt, keyReady);
    }
    if (!enabled) return { version: this.#version, validUntil, readyAt: null };
    return { version: this.#version, validUntil: Math.min(validUntil, readyAt), readyAt };
  }

  #index(key: PoolKey): void {
    if (key.project === null) return;
    let set = this.#byProject.get(key.project);
    if (!set) this.#byProject.set(key.project, (set = new Set()));
    set.add(key);
  }

  #unindex(key: PoolKey): void {
    if (key.project === null) return;
    const set = this.#byProject.get(key.project);
    set?.delete(key);
    if (set?.size === 0) this.#byProject.delete(key.project);
  }

  #changed(snapshot: boolean): void {
    this.#version++;
    if (snapshot) this.#strategy.reset(this.#keys);
  }
}

function missResult(miss: Miss, now: number): PickResult {
  if (miss.readyAt === null) return { ok: false, reason: 'unavailable' };
  return { ok: false, reason: 'cooling', retryAfterMs: Math.max(0, miss.readyAt - now) };
}

/** Running cooldowns of `current` plus `added`, one per model, keeping the later `until`. */
function mergeCooldowns(current: readonly Cooldown[], added: readonly Cooldown[], now: number): Cooldown[] {
  const byModel = new Map<string, Cooldown>();
  for (const c of [...current, ...added]) {
    if (c.until <= now) continue;
    const model = normalizeModel(c.model);
    const prev = byModel.get(model);
    if (!prev || c.until > prev.until) byModel.set(model, { ...c, model });
  }
  return [...byModel.values()];
}
