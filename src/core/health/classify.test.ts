import { describe, expect, it } from 'vitest';
import {
  MAX_RETRY_DELAY_MS,
  classifyResponse,
  classifyTransportError,
  isConnectFailure,
  parseGoogleError,
  parseRetryDelay,
} from './classify.js';
import {
  BAD_FIELD_400_ARRAY,
  INTERNAL_500,
  INVALID_KEY_400,
  MODEL_NOT_FOUND_404,
  OVERLOADED_503,
  QUOTA_PER_DAY_429,
  QUOTA_PER_MINUTE_429,
  SUSPENDED_403,
} from './fixtures.js';
import { UpstreamConnectError } from '../upstream-connect-error.js';

const body = (text: string): unknown => JSON.parse(text);

describe('parseGoogleError', () => {
  it('unwraps the native envelope', () => {
    const err = parseGoogleError(body(INVALID_KEY_400));
    expect(err).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(err?.details).toHaveLength(2);
  });

  it("unwraps the OpenAI-compat endpoint's array envelope", () => {
    expect(parseGoogleError(body(BAD_FIELD_400_ARRAY))).toMatchObject({
      code: 400,
      status: 'INVALID_ARGUMENT',
    });
  });

  it('defaults missing details to []', () => {
    expect(parseGoogleError(body(OVERLOADED_503))?.details).toEqual([]);
  });

  it('returns null for bodies that are not Google errors', () => {
    for (const b of [undefined, null, 'x', [], {}, { error: 'nope' }, { error: {} }, [{ choices: [] }]]) {
      expect(parseGoogleError(b)).toBeNull();
    }
  });
});

describe('classifyResponse against gemini-wire.md bodies', () => {
  it('2xx is ok', () => {
    expect(classifyResponse(200, undefined, 'gemini-2.5-flash')).toEqual({ kind: 'ok' });
  });

  it('invalid key 400 is key-fatal even though other 400s are client faults', () => {
    expect(classifyResponse(400, body(INVALID_KEY_400), 'gemini-2.5-flash')).toEqual({
      kind: 'key-fatal',
      reason: 'API_KEY_INVALID',
    });
  });

  it('suspended 403 is key-fatal and carries the project number', () => {
    expect(classifyResponse(403, body(SUSPENDED_403), null)).toEqual({
      kind: 'key-fatal',
      reason: 'CONSUMER_SUSPENDED',
      project: '895908428397',
    });
  });

  it('per-day 429 is rate-limited for the quota model with the retry delay', () => {
    expect(classifyResponse(429, body(QUOTA_PER_DAY_429), 'models/other')).toEqual({
      kind: 'rate-limited',
      model: 'gemini-2.5-flash',
      scope: 'per_day',
      retryDelayMs: 58_000,
    });
  });

  it('per-minute 429 has scope per_minute', () => {
    expect(classifyResponse(429, body(QUOTA_PER_MINUTE_429), null)).toMatchObject({
      kind: 'rate-limited',
      model: 'gemini-2.5-flash',
      scope: 'per_minute',
    });
  });

  it('429 without details falls back to the request model (stripped), then to *', () => {
    const bare = { error: { code: 429, message: 'x', status: 'RESOURCE_EXHAUSTED' } };
    expect(classifyResponse(429, bare, 'models/gemini-2.5-pro')).toEqual({
      kind: 'rate-limited',
      model: 'gemini-2.5-pro',
      scope: 'default',
    });
    expect(classifyResponse(429, undefined, null)).toEqual({
      kind: 'rate-limited',
      model: '*',
      scope: 'default',
    });
  });

  it('500 and 503 are upstream faults', () => {
    expect(classifyResponse(503, body(OVERLOADED_503), 'm')).toEqual({
      kind: 'upstream-fault',
      status: 503,
      reason: 'UNAVAILABLE',
    });
    expect(classifyResponse(500, body(INTERNAL_500), 'm')).toEqual({
      kind: 'upstream-fault',
      status: 500,
      reason: 'INTERNAL',
    });
    expect(classifyResponse(502, '<html>', 'm')).toEqual({
      kind: 'upstream-fault',
      status: 502,
      reason: 'HTTP_502',
    });
  });

  it('408 is an upstream fault', () => {
    expect(classifyResponse(408, undefined, 'm')).toMatchObject({ kind: 'upstream-fault', status: 408 });
  });

  it('404 model and 400 bad field are client faults', () => {
    expect(classifyResponse(404, body(MODEL_NOT_FOUND_404), 'gemini-pro')).toEqual({
      kind: 'client-fault',
      status: 404,
    });
    expect(classifyResponse(400, body(BAD_FIELD_400_ARRAY), 'm')).toEqual({
      kind: 'client-fault',
      status: 400,
    });
    expect(classifyResponse(413, undefined, 'm')).toEqual({ kind: 'client-fault', status: 413 });
  });

  it('401/403 with no recognised reason is a key error', () => {
    const denied = { error: { code: 403, message: 'x', status: 'PERMISSION_DENIED' } };
    expect(classifyResponse(403, denied, 'm')).toEqual({
      kind: 'key-error',
      status: 403,
      reason: 'PERMISSION_DENIED',
    });
    expect(classifyResponse(401, undefined, 'm')).toEqual({
      kind: 'key-error',
      status: 401,
      reason: 'HTTP_401',
    });
  });

  it('a key-fatal reason on another status is not key-fatal', () => {
    expect(classifyResponse(404, body(INVALID_KEY_400), 'm')).toEqual({ kind: 'client-fault', status: 404 });
  });

  it('SERVICE_DISABLED in the array envelope is key-fatal', () => {
    const b = [
      {
        error: {
          code: 403,
          message: 'x',
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'SERVICE_DISABLED',
              metadata: { consumer: 'projects/42' },
            },
          ],
        },
      },
    ];
    expect(classifyResponse(403, b, 'm')).toEqual({
      kind: 'key-fatal',
      reason: 'SERVICE_DISABLED',
      project: '42',
    });
  });
});

describe('parseRetryDelay', () => {
  it.each([
    ['58s', 58_000],
    ['1.5s', 1_500],
    ['0.25s', 250],
    ['500ms', 500],
    [{ seconds: 2, nanos: 500_000_000 }, 2_500],
  ])('%j → %d ms', (input, ms) => {
    expect(parseRetryDelay(input)).toBe(ms);
  });

  it('rejects malformed values', () => {
    for (const v of ['', 's', '5m', 'abc', 5, null, { seconds: 'x' }])
      expect(parseRetryDelay(v)).toBeUndefined();
  });

  it('holds absurd delays to a day and negative ones to zero', () => {
    for (const v of ['9'.repeat(400) + 's', { seconds: 1e300 }, { seconds: Infinity }]) {
      expect(parseRetryDelay(v)).toBe(MAX_RETRY_DELAY_MS);
    }
    expect(parseRetryDelay({ seconds: -5 })).toBe(0);
  });
});

describe('classifyTransportError', () => {
  it('timeouts and aborts are timeout', () => {
    expect(classifyTransportError(new DOMException('t', 'TimeoutError'))).toEqual({
      kind: 'upstream-fault',
      status: 0,
      reason: 'timeout',
    });
    expect(classifyTransportError(new DOMException('a', 'AbortError'))).toMatchObject({ reason: 'timeout' });
    const undici = Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(classifyTransportError(undici)).toMatchObject({ reason: 'timeout' });
    expect(classifyTransportError(new TypeError('fetch failed', { cause: undici }))).toMatchObject({
      reason: 'timeout',
    });
  });

  it('anything else is connection', () => {
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    expect(classifyTransportError(refused)).toEqual({
      kind: 'upstream-fault',
      status: 0,
      reason: 'connection',
    });
    expect(classifyTransportError('boom')).toMatchObject({ reason: 'connection' });
  });

  it('no connection at all is connect or connect_timeout, with what failed; only those keep the key', () => {
    const refused = classifyTransportError(
      new UpstreamConnectError('the outbound proxy refused the tunnel: 407', false),
    );
    expect(refused).toEqual({
      kind: 'upstream-fault',
      status: 0,
      reason: 'connect',
      detail: 'the outbound proxy refused the tunnel: 407',
    });
    const slow = classifyTransportError(new UpstreamConnectError('no connection to h within 10 ms', true));
    expect(slow).toMatchObject({ reason: 'connect_timeout', detail: 'no connection to h within 10 ms' });
    expect([refused, slow].map(isConnectFailure)).toEqual([true, true]);
    const others = [
      classifyTransportError(new Error('reset')),
      classifyTransportError(new DOMException('a', 'TimeoutError')),
    ];
    expect(others.map(isConnectFailure)).toEqual([false, false]);
  });
});
