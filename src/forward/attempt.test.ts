import { describe, expect, it } from 'vitest';
import { QUOTA_PER_MINUTE_429, SUSPENDED_403 } from '../core/health/fixtures.js';
import { completedStreamOutcome } from './attempt.js';

const errorOf = (body: string): unknown => (JSON.parse(body) as { error: unknown }).error;

describe('completedStreamOutcome', () => {
  it('is ok for a stream that ended with nothing wrong', () => {
    expect(completedStreamOutcome(undefined, 200, 'gemini-2.5-flash')).toEqual({
      outcome: { kind: 'ok' },
      google: null,
    });
  });

  it('calls a stream cut short of [DONE] an upstream fault', () => {
    expect(completedStreamOutcome('unterminated', 200, 'gemini-2.5-flash').outcome).toEqual({
      kind: 'upstream-fault',
      status: 200,
      reason: 'unterminated',
    });
  });

  it('classifies an error event like the same error as a response: a quota error cools the model', () => {
    const { outcome, google } = completedStreamOutcome(
      { error: errorOf(QUOTA_PER_MINUTE_429) },
      200,
      'gemini-2.5-flash',
    );
    expect(outcome).toMatchObject({ kind: 'rate-limited', model: 'gemini-2.5-flash', scope: 'per_minute' });
    expect(google?.status).toBe('RESOURCE_EXHAUSTED');
    expect(completedStreamOutcome({ error: errorOf(SUSPENDED_403) }, 200, 'm').outcome).toMatchObject({
      kind: 'key-fatal',
      reason: 'CONSUMER_SUSPENDED',
    });
  });

  it('treats an error event without a usable code as an upstream fault', () => {
    expect(completedStreamOutcome({ error: { message: 'boom' } }, 200, 'm').outcome).toMatchObject({
      kind: 'upstream-fault',
      status: 500,
    });
  });
});
