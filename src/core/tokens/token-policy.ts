/**
 * What an access token may do, checked before the pick: paused and expired tokens, the model
 * allow-list, and the request and token limits. Request limits are counted in storage by one atomic
 * statement before the upstream call (`LimitStore.reserveTokenRequest`), so they hold exactly across
 * processes; token totals are known only once a response is read, so they are added at flush time
 * (through the same `local_limit_counts` rows as the local key limits) and checked by the next request.
 * A token without limits costs no storage access at all.
 */
import { normalizeModel } from '../health/model.js';
import { DayWindow, minuteEndAt } from '../ops/limit-windows.js';
import { ReservationBatch, type BatchWindow } from '../ops/reservation-batch.js';
import type { Clock, LimitStore, TokenReservation, TokenWindowCounts } from '../ports.js';
import type { AccessToken, LimitCount, TokenRules } from '../types.js';
import { modelAllowed } from './model-match.js';

/** Why a token's request is refused; the HTTP layer renders it in the route's dialect. */
export interface TokenRefusal {
  status: 401 | 403 | 429;
  code: 'token_paused' | 'token_expired' | 'model_not_allowed' | 'token_limit_reached';
  message: string;
  retryAfterSeconds?: number;
}

type LimitName = 'rpm' | 'rpd' | 'tpm' | 'tpd';

const LIMIT_WORDS: Record<LimitName, string> = {
  rpm: 'requests per minute',
  rpd: 'requests per day',
  tpm: 'tokens per minute',
  tpd: 'tokens per day',
};

/** True when the token has a request or token limit (and so is counted in storage). */
export function hasLimits(rules: TokenRules): boolean {
  return rules.rpm !== null || rules.rpd !== null || rules.tpm !== null || rules.tpd !== null;
}

/** The subject of a token's rows in `local_limit_counts`. */
export const tokenSubject = (tokenId: number): string => `t:${tokenId}`;

export type { BatchWindow } from '../ops/reservation-batch.js';

const pendingId = (tokenId: number, period: string, windowEnd: number) =>
  `${tokenId}\u0000${period}\u0000${windowEnd}`;

export class TokenPolicy {
  readonly #day = new DayWindow();
  /** Tokens used by limited tokens, counted here and not yet handed to storage. */
  #pending = new Map<string, LimitCount>();
  /** Ids of tokens with limits seen by `admit`, whose used tokens are counted. */
  readonly #limited = new Set<number>();

  readonly #reservations: ReservationBatch<TokenReservation>;

  constructor(private readonly deps: { limits: LimitStore; clock: Clock; batchWindow?: BatchWindow }) {
    this.#reservations = new ReservationBatch((rs) => deps.limits.reserveTokenRequests(rs), deps.batchWindow);
  }

  /** Refuses a paused or expired token; checked before anything else about the request. */
  checkCredential(token: AccessToken): TokenRefusal | null {
    if (!token.enabled) {
      return { status: 401, code: 'token_paused', message: 'This access token is paused' };
    }
    if (token.expiresAt !== null && this.deps.clock.now() >= token.expiresAt) {
      const at = new Date(token.expiresAt).toISOString();
      return { status: 401, code: 'token_expired', message: `This access token expired at ${at}` };
    }
    return null;
  }

  /**
   * Admits a request for `model` (null: a request for no model, never refused by the allow-list),
   * counting it against the token's request limits; or says why not, counting nothing. The answer
   * comes at once (not as a promise) unless storage must count the request: a token without limits,
   * or a model outside the allow-list, costs the request no promise and no microtask.
   */
  admit(token: AccessToken, model: string | null): TokenRefusal | null | Promise<TokenRefusal | null> {
    if (model !== null && token.models.length > 0 && !modelAllowed(token.models, normalizeModel(model))) {
      return {
        status: 403,
        code: 'model_not_allowed',
        message: `This access token may not use model ${normalizeModel(model).slice(0, 100)}`,
      };
    }
    if (!hasLimits(token)) {
      if (this.#limited.size > 0) this.#limited.delete(token.id);
      return null;
    }
    return this.#admitLimited(token);
  }

  async #admitLimited(token: AccessToken): Promise<TokenRefusal | null> {
    this.#limited.add(token.id);
    const now = this.deps.clock.now();
    const minuteEnd = minuteEndAt(now);
    const dayEnd = this.#day.endAt(now);
    const pendingMinute = this.#pendingTokens(token.id, 'minute', minuteEnd);
    const pendingDay = this.#pendingTokens(token.id, 'day', dayEnd);
    const less = (limit: number | null, n: number) => (limit === null ? null : limit - n);
    const counted = await this.#reservations.reserve({
      tokenId: token.id,
      minuteEnd,
      dayEnd,
      rpm: token.rpm,
      rpd: token.rpd,
      tpm: less(token.tpm, pendingMinute),
      tpd: less(token.tpd, pendingDay),
    });
    if (counted) return null;
    // Refused: read which count stopped it (only on this path).
    const stored = await this.deps.limits.tokenCounts(token.id, minuteEnd, dayEnd);
    const counts: TokenWindowCounts = {
      ...stored,
      minuteTokens: stored.minuteTokens + pendingMinute,
      dayTokens: stored.dayTokens + pendingDay,
    };
    return limitRefusal(token, counts, now, minuteEnd, dayEnd);
  }

  /** Counts the tokens an attempt of a limited token used, in the windows of `now`. */
  recordTokens(tokenId: number | null, total: number, now: number): void {
    if (tokenId === null || total <= 0 || !this.#limited.has(tokenId)) return;
    this.#add(tokenId, 'minute', minuteEndAt(now), total);
    this.#add(tokenId, 'day', this.#day.endAt(now), total);
  }

  /** Token counts not yet handed to storage. */
  get pendingSize(): number {
    return this.#pending.size;
  }

  /** Takes the counted tokens, as `local_limit_counts` increments. */
  drain(): LimitCount[] {
    const rows = [...this.#pending.values()];
    this.#pending = new Map();
    return rows;
  }

  /** Puts increments whose write failed back. */
  restore(rows: readonly LimitCount[]): void {
    for (const row of rows) this.#add(Number(row.subject.slice(2)), row.period, row.windowEnd, row.count);
  }

  #pendingTokens(tokenId: number, period: 'minute' | 'day', windowEnd: number): number {
    return this.#pending.get(pendingId(tokenId, period, windowEnd))?.count ?? 0;
  }

  #add(tokenId: number, period: 'minute' | 'day', windowEnd: number, count: number): void {
    const id = pendingId(tokenId, period, windowEnd);
    const row = this.#pending.get(id);
    if (row) row.count += count;
    else this.#pending.set(id, { subject: tokenSubject(tokenId), model: 'tokens', period, windowEnd, count });
  }
}

/** The refusal for the first limit reached, with the time until its window ends. */
function limitRefusal(
  rules: TokenRules,
  counts: TokenWindowCounts,
  now: number,
  minuteEnd: number,
  dayEnd: number,
): TokenRefusal {
  const checks: Array<[LimitName, number, number]> = [
    ['rpd', counts.dayRequests, dayEnd],
    ['tpd', counts.dayTokens, dayEnd],
    ['rpm', counts.minuteRequests, minuteEnd],
    ['tpm', counts.minuteTokens, minuteEnd],
  ];
  const [name, , until] = checks.find(([n, count]) => rules[n] !== null && count >= rules[n]!) ?? checks[2]!;
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  return {
    status: 429,
    code: 'token_limit_reached',
    message: `This access token reached its ${name} limit of ${rules[name] ?? 0} (${LIMIT_WORDS[name]}); retry in ${seconds} s`,
    retryAfterSeconds: seconds,
  };
}
