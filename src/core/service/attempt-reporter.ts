/** Turns each upstream attempt's outcome into key state (at once, in memory) and buffered writes. */
import type { PoolConfig } from '../config.js';
import type { Outcome } from '../health/classify.js';
import { transition } from '../health/transitions.js';
import type { GatewayMetrics } from '../ops/metrics.js';
import type { KeyPool } from '../pool/pool.js';
import type { Clock, Logger } from '../ports.js';
import type { TokenPolicy } from '../tokens/token-policy.js';
import type { OutcomeKind, PoolKey, Tokens } from '../types.js';
import type { WritePipeline } from './write-pipeline.js';

/** What the HTTP layer reports after each upstream attempt. */
export interface AttemptReport {
  key: PoolKey;
  outcome: Outcome | { kind: 'client-abort' };
  endpoint: string;
  model: string | null;
  /** HTTP status of the attempt; 0 when no response arrived, 499 when the client went away. */
  status: number;
  tokens: Tokens;
  latencyMs: number;
  accessTokenId: number | null;
  attempt: number;
  /** Short, already redacted description of what went wrong. */
  error: string | null;
}

/**
 * Outcomes that count as an error of the key in `error_count`. A client's own mistake (a 4xx passed
 * through) is not the key's; its usage row still records the status.
 */
const ERROR_KINDS: ReadonlySet<OutcomeKind> = new Set([
  'key-fatal',
  'rate-limited',
  'key-error',
  'upstream-fault',
]);

export interface AttemptReporterDeps {
  pool: KeyPool;
  metrics: GatewayMetrics;
  tokens: TokenPolicy;
  writes: WritePipeline;
  clock: Clock;
  logger: Logger;
  config(): PoolConfig;
}

/** Applies an attempt's outcome to the in-memory pool at once and buffers its writes. */
export function reportAttempt(deps: AttemptReporterDeps, report: AttemptReport): void {
  const { pool, writes } = deps;
  const buffer = writes.buffer;
  const config = deps.config();
  const now = deps.clock.now();
  const { key, outcome } = report;
  pool.settled(key.id);
  deps.metrics.recordAttempt({ ...report, outcome: outcome.kind });
  if (outcome.kind !== 'client-abort') {
    const projectKeys =
      outcome.kind === 'rate-limited' && key.project ? pool.keysInProject(key.project) : undefined;
    const changes = transition(key, outcome, { config, now, projectKeys });
    for (const change of changes) pool.apply(change);
    if (changes.length > 0) writes.addChanges(changes);
    if (changes.some((c) => c.disabled)) {
      deps.logger({ event: 'key_disabled', key_id: key.id, reason: key.disabled?.reason ?? null });
    }
  }
  const isError = ERROR_KINDS.has(outcome.kind);
  if (isError) {
    key.errorCount += 1;
    key.lastError = report.error;
  }
  key.tokens.prompt += report.tokens.prompt;
  key.tokens.completion += report.tokens.completion;
  key.tokens.total += report.tokens.total;
  buffer.addCounters(key.id, now, isError, report.tokens, isError ? report.error : null);
  deps.tokens.recordTokens(report.accessTokenId, report.tokens.total, now);
  if (config.enableUsageTracking) {
    writes.addUsage({
      keyId: key.id,
      endpoint: report.endpoint,
      model: report.model,
      status: report.status,
      outcome: outcome.kind,
      tokens: report.tokens,
      latencyMs: Math.round(report.latencyMs),
      accessTokenId: report.accessTokenId,
      attempt: report.attempt,
      timestamp: now,
      error: report.error,
    });
  }
}
