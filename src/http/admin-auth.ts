/**
 * Admin authentication: the presented token's SHA-256 is compared in constant time with the
 * configured hash, and an address that keeps failing is made to wait longer and longer.
 */
import { constantTimeEqual, sha256Hex } from '../core/crypto.js';
import { LruMap } from '../core/lru-map.js';
import type { Clock } from '../core/ports.js';

/** Failures allowed before waiting starts. */
const FREE_FAILURES = 5;
const MAX_LOCK_MS = 15 * 60_000;
/** An address with no failure for this long starts afresh. */
const FORGET_AFTER_MS = 60 * 60_000;
/** Addresses remembered at once; beyond this the least recently seen one is forgotten. */
const TRACKED_ADDRESSES = 10_000;

interface FailureRecord {
  failures: number;
  lockedUntil: number;
  lastFailureAt: number;
}

export type AdminVerdict =
  | { ok: true }
  | { ok: false; reason: 'not-configured' }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export class AdminAuth {
  private readonly failures = new LruMap<string, FailureRecord>(TRACKED_ADDRESSES);

  constructor(
    private readonly opts: { adminTokenHash: string | null; metricsTokenHash: string | null; clock: Clock },
  ) {}

  get configured(): boolean {
    return this.opts.adminTokenHash !== null;
  }

  /** Checks an admin token from `address`; `alsoMetrics` accepts the metrics token too. */
  async verify(token: string | null, address: string, alsoMetrics = false): Promise<AdminVerdict> {
    if (this.opts.adminTokenHash === null) return { ok: false, reason: 'not-configured' };
    const now = this.opts.clock.now();
    const record = this.failures.get(address);
    if (record && record.lockedUntil > now) {
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((record.lockedUntil - now) / 1000) };
    }
    const hash = await sha256Hex(token ?? '');
    const matches =
      token !== null &&
      (constantTimeEqual(hash, this.opts.adminTokenHash) ||
        (alsoMetrics &&
          this.opts.metricsTokenHash !== null &&
          constantTimeEqual(hash, this.opts.metricsTokenHash)));
    if (matches) {
      this.failures.delete(address);
      return { ok: true };
    }
    this.recordFailure(address, now);
    return { ok: false, reason: 'invalid' };
  }

  private recordFailure(address: string, now: number): void {
    const known = this.failures.get(address);
    const record =
      known && now - known.lastFailureAt < FORGET_AFTER_MS
        ? known
        : { failures: 0, lockedUntil: 0, lastFailureAt: now };
    record.failures += 1;
    record.lastFailureAt = now;
    if (record.failures > FREE_FAILURES) {
      record.lockedUntil = now + Math.min(MAX_LOCK_MS, 1000 * 2 ** (record.failures - FREE_FAILURES - 1));
    }
    this.failures.set(address, record);
  }
}
