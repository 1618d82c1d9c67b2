import { describe, expect, it } from 'vitest';
import { type KeyBehavior } from '../fixtures/mock-gemini/index.js';
import { bearer, googKey, KEY, post } from './helpers.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();

const CHAT = '/v1beta/openai/chat/completions';
const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';

/** The error object of an OpenAI-path (array) and a native-path (plain) request with the same key. */
async function bothErrors(model = 'gemini-2.5-flash') {
  const openai = await post(mock().url + CHAT, { model, messages: [{ content: 'hi' }] }, bearer());
  const native = await post(
    `${mock().url}/v1beta/models/${model}:generateContent`,
    { contents: [{ parts: [{ text: 'hi' }] }] },
    googKey(),
  );
  const openaiBody = await openai.json();
  const nativeBody = await native.json();
  expect(Array.isArray(openaiBody)).toBe(true);
  expect(Array.isArray(nativeBody)).toBe(false);
  expect(openaiBody[0]).toEqual(nativeBody);
  expect(openai.status).toBe(native.status);
  return { status: native.status, error: nativeBody.error, headers: native.headers };
}

describe('mock gemini: key behaviours', () => {
  it('treats unconfigured keys as ok', async () => {
    const res = await post(mock().url + GENERATE, { contents: [{ parts: [{ text: 'hi' }] }] }, googKey());
    expect(res.status).toBe(200);
  });

  it('invalid → 400 API_KEY_INVALID, verbatim', async () => {
    mock().setKey(KEY, 'invalid');
    const { status, error } = await bothErrors();
    expect(status).toBe(400);
    expect(error).toEqual({
      code: 400,
      message: 'API key not valid. Please pass a valid API key.',
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
          locale: 'en-US',
          message: 'API key not valid. Please pass a valid API key.',
        },
      ],
    });
  });

  it('expired → 400 with reason API_KEY_EXPIRED', async () => {
    mock().setKey(KEY, 'expired');
    const { status, error } = await bothErrors();
    expect(status).toBe(400);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.details[0].reason).toBe('API_KEY_EXPIRED');
    expect(error.details[0]['@type']).toBe('type.googleapis.com/google.rpc.ErrorInfo');
  });

  it('suspended → 403 CONSUMER_SUSPENDED with a projects/<n> consumer and no full key', async () => {
    mock().setKey(KEY, 'suspended');
    const { status, error } = await bothErrors();
    expect(status).toBe(403);
    expect(error.status).toBe('PERMISSION_DENIED');
    expect(error.details).toHaveLength(1);
    expect(error.details[0].reason).toBe('CONSUMER_SUSPENDED');
    expect(error.details[0].metadata.consumer).toMatch(/^projects\/\d+$/);
    expect(error.details[0].metadata.service).toBe('generativelanguage.googleapis.com');
    expect(error.message).toContain("api_key:AIza…Xy12'");
    expect(JSON.stringify(error)).not.toContain(KEY);
  });

  it('service-disabled → 403 SERVICE_DISABLED', async () => {
    mock().setKey(KEY, 'service-disabled');
    const { status, error } = await bothErrors();
    expect(status).toBe(403);
    expect(error.status).toBe('PERMISSION_DENIED');
    expect(error.details[0].reason).toBe('SERVICE_DISABLED');
  });

  it('forbidden-unknown → 403 with no ErrorInfo reason', async () => {
    mock().setKey(KEY, 'forbidden-unknown');
    const { status, error } = await bothErrors();
    expect(status).toBe(403);
    expect(error.status).toBe('PERMISSION_DENIED');
    expect(error.details).toBeUndefined();
  });

  it('key behaviours also apply to model listing', async () => {
    mock().setKey(KEY, 'invalid');
    const res = await fetch(mock().url + '/v1beta/models', { headers: googKey() });
    expect(res.status).toBe(400);
    expect((await res.json()).error.details[0].reason).toBe('API_KEY_INVALID');
  });

  it('per_day 429: QuotaFailure for the requested model, RetryInfo, no Retry-After header', async () => {
    mock().setKey(KEY, { rateLimit: 'per_day' });
    const { status, error, headers } = await bothErrors('gemini-2.5-pro');
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBeNull();
    expect(error.status).toBe('RESOURCE_EXHAUSTED');
    const quota = error.details.find((d: { '@type': string }) => d['@type'].endsWith('QuotaFailure'));
    expect(quota.violations[0].quotaId).toBe('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(quota.violations[0].quotaDimensions).toEqual({ model: 'gemini-2.5-pro', location: 'global' });
    const retry = error.details.find((d: { '@type': string }) => d['@type'].endsWith('RetryInfo'));
    expect(retry.retryDelay).toBe('58s');
  });

  it('per_minute 429 with a custom retryDelay, only for the listed models', async () => {
    mock().setKey(KEY, { rateLimit: 'per_minute', models: ['models/gemini-2.5-flash'], retryDelay: '7s' });
    const { status, error } = await bothErrors('gemini-2.5-flash');
    expect(status).toBe(429);
    const quota = error.details.find((d: { '@type': string }) => d['@type'].endsWith('QuotaFailure'));
    expect(quota.violations[0].quotaId).toBe('GenerateRequestsPerMinutePerProjectPerModel-FreeTier');
    expect(quota.violations[0].quotaDimensions.model).toBe('gemini-2.5-flash');
    const retry = error.details.find((d: { '@type': string }) => d['@type'].endsWith('RetryInfo'));
    expect(retry.retryDelay).toBe('7s');

    const other = await post(
      mock().url + CHAT,
      { model: 'gemini-2.5-pro', messages: [{ content: 'x' }] },
      bearer(),
    );
    expect(other.status).toBe(200);
  });

  it('bare 429 has no details', async () => {
    mock().setKey(KEY, { rateLimit: 'bare' });
    const { status, error } = await bothErrors();
    expect(status).toBe(429);
    expect(error.status).toBe('RESOURCE_EXHAUSTED');
    expect(error.details).toBeUndefined();
  });

  it('setting a key back to ok clears its behaviour, and other keys are unaffected', async () => {
    mock().setKey(KEY, 'invalid');
    const other = await post(
      mock().url + CHAT,
      { model: 'gemini-2.5-flash', messages: [] },
      bearer('AIzaOTHER'),
    );
    expect(other.status).toBe(200);
    mock().setKey(KEY, 'ok' satisfies KeyBehavior);
    const res = await post(mock().url + CHAT, { model: 'gemini-2.5-flash', messages: [] }, bearer());
    expect(res.status).toBe(200);
  });
});
