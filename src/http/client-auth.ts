/**
 * Client access tokens. Tokens are stored hashed; a verified token is remembered for a short
 * while so a request costs a map lookup, not a SHA-256 and a database read.
 */
import { sha256Hex } from '../core/crypto.js';
import { LruMap } from '../core/lru-map.js';
import type { Clock, TokenStore } from '../core/ports.js';
import type { AccessToken } from '../core/types.js';
import type { TokenPlaces } from '../forward/dialect.js';
import type { ClientRequest } from './client-request.js';

/** How long a verdict is trusted before storage is asked again. */
const CACHE_TTL_MS = 10_000;
/**
 * Up to this age an accepted token still passes while it is re-checked in the background; an older
 * verdict is re-checked before answering. So a revocation made in another process or isolate applies
 * within this long, however rarely the token is used.
 */
const STALE_LIMIT_MS = 2 * CACHE_TTL_MS;
const CACHE_LIMIT = 10_000;

interface CacheEntry {
  token: AccessToken | null;
  checkedAt: number;
  /** The `invalidate` generation it was checked in; an older one is checked again before answering. */
  generation: number;
  rechecking: boolean;
}

export class ClientAuth {
  private readonly cache = new LruMap<string, CacheEntry>(CACHE_LIMIT);
  private generation = 0;

  constructor(
    private readonly tokens: TokenStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The access token with its rules, or null when the token is unknown or revoked. A warm request never waits
   * on storage: an accepted token's verdict older than the TTL (but within the stale limit) is
   * answered from cache while `defer` re-checks it. Unknown tokens are always checked at once.
   * A verdict from cache comes at once, not as a promise: the request pays no microtask for it.
   */
  verify(
    token: string,
    defer: (work: Promise<unknown>) => void,
  ): AccessToken | null | Promise<AccessToken | null> {
    const now = this.clock.now();
    const cached = this.cache.get(token);
    if (cached && cached.generation === this.generation) {
      const age = now - cached.checkedAt;
      if (age < CACHE_TTL_MS) return cached.token;
      if (cached.token !== null && age < STALE_LIMIT_MS) {
        if (!cached.rechecking) {
          cached.rechecking = true;
          // A failed check must not stop later ones: the next request past the TTL tries again.
          defer(this.lookup(token, now).finally(() => (cached.rechecking = false)));
        }
        return cached.token;
      }
    }
    return this.lookup(token, now).catch((err: unknown) => {
      // Storage unreachable: a token accepted before keeps working, as keys keep serving from the snapshot.
      if (cached?.token) return cached.token;
      throw err;
    });
  }

  private async lookup(token: string, now: number): Promise<AccessToken | null> {
    const generation = this.generation;
    const found = await this.tokens.findTokenByHash(await sha256Hex(token));
    this.cache.set(token, { token: found, checkedAt: now, generation, rechecking: false });
    return found;
  }

  /**
   * Makes every cached verdict be checked again before it answers, e.g. right after a token was
   * revoked or changed; one is still used when that check cannot reach storage.
   */
  invalidate(): void {
    this.generation += 1;
  }
}

/** `Authorization: Bearer` only: the admin API, and the token places every dialect starts from. */
export const BEARER_ONLY: TokenPlaces = { googleStyle: false, xApiKey: false };

/**
 * The token a client sent: `Authorization: Bearer`, then where the dialect's clients also put it
 * (`x-api-key`; `x-goog-api-key` or `?key=`).
 */
export function presentedToken(
  req: Pick<ClientRequest, 'header' | 'query'>,
  places: TokenPlaces,
): string | null {
  const auth = req.header('authorization');
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match?.[1]) return match[1].trim();
  }
  if (places.xApiKey) {
    const apiKey = req.header('x-api-key');
    if (apiKey?.trim()) return apiKey.trim();
  }
  if (!places.googleStyle) return null;
  const goog = req.header('x-goog-api-key');
  if (goog?.trim()) return goog.trim();
  if (req.query === '') return null;
  return new URLSearchParams(req.query).get('key')?.trim() || null;
}
