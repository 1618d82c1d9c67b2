/**
 * Upstream faults, one test each, against the real Node gateway and the mock Gemini upstream:
 * what the client sees, which keys were tried, and the usage row every attempt leaves.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat, MODEL, until, usageRows, type UsageRow } from './helpers.js';

const KEYS = [fakeKey('fault-a'), fakeKey('fault-b'), fakeKey('fault-c')];
const TIMEOUT_MS = 300;

let mock: MockGemini;
let gw: TestGateway;
let seenUsageId = 0;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: KEYS,
    config: { request_timeout_ms: TIMEOUT_MS, stream_idle_timeout_ms: TIMEOUT_MS, max_retries: 3 },
  });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

beforeEach(async () => {
  await gw.running.gateway.flush();
  seenUsageId = usageRows(gw.databasePath).at(-1)?.id ?? 0;
  mock.reset();
});

/** Usage rows written since the test began, after a flush. */
async function newRows(): Promise<UsageRow[]> {
  await gw.running.gateway.flush();
  return usageRows(gw.databasePath).filter((r) => r.id > seenUsageId);
}

/** Every key is still usable: upstream faults never penalise a key. */
async function expectNoKeyPenalised(): Promise<void> {
  const res = await gw.admin('GET', '/keys');
  for (const key of res.body.keys as Array<{ state: string; consecutive_errors: number }>) {
    expect(key.state).toBe('active');
    expect(key.consecutive_errors).toBe(0);
  }
}

function keysTried(): string[] {
  return Object.keys(mock.stats().byKey);
}

async function expectOpenAIError(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

describe('connection reset before the response headers', () => {
  it('retries a non-streaming request on another key', async () => {
    mock.configure({ fault: 'reset-before-headers', faultCount: 1 });
    const res = await chat(gw.url, gw.accessToken);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBeTruthy();
    expect(mock.stats().requests).toBe(2);
    expect(keysTried()).toHaveLength(2);
    const rows = await newRows();
    expect(rows.map((r) => [r.attempt, r.response_status, r.outcome])).toEqual([
      [1, 0, 'upstream-fault'],
      [2, 200, 'ok'],
    ]);
    expect(rows[0]?.api_key_id).not.toBe(rows[1]?.api_key_id);
    await expectNoKeyPenalised();
  });

  it('retries a streaming request on another key: nothing was sent yet', async () => {
    mock.configure({ fault: 'reset-before-headers', faultCount: 1 });
    const res = await chat(gw.url, gw.accessToken, { stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('data: [DONE]');
    expect(mock.stats().requests).toBe(2);
    expect((await newRows()).map((r) => r.outcome)).toEqual(['upstream-fault', 'ok']);
  });
});

describe('connection reset mid-body', () => {
  it('retries a non-streaming request on another key (the body was still buffered)', async () => {
    mock.configure({ fault: 'reset-mid-body', faultCount: 1 });
    const res = await chat(gw.url, gw.accessToken);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; usage: { total_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(mock.stats().requests).toBe(2);
    expect(keysTried()).toHaveLength(2);
    const rows = await newRows();
    expect(rows.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'upstream-fault'],
      [2, 'ok'],
    ]);
    expect(rows[1]?.tokens_used).toBe(body.usage.total_tokens);
    await expectNoKeyPenalised();
  });

  it('does not retry a stream after its first byte: the client gets an error event, the attempt is recorded', async () => {
    mock.configure({ fault: 'reset-mid-body', faultCount: 1, streamChunks: 6 });
    const res = await chat(gw.url, gw.accessToken, { stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    expect(events[0]).toMatch(/^data: \{"choices"/);
    const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ type: 'api_error', code: 'stream_interrupted' });
    expect(text).not.toContain('[DONE]');
    expect(mock.stats().requests).toBe(1);
    const rows = await newRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      response_status: 200,
      outcome: 'upstream-fault',
      error: 'stream interrupted',
    });
    expect(rows[0]!.tokens_used).toBeGreaterThan(0);
  });
});

describe('per-attempt timeout (request_timeout_ms)', () => {
  it('abandons a hanging attempt, aborts it upstream and retries on another key', async () => {
    mock.configure({ fault: 'hang', faultCount: 1 });
    const res = await chat(gw.url, gw.accessToken);
    expect(res.status).toBe(200);
    expect(mock.stats().requests).toBe(2);
    await until(() => mock.stats().aborted === 1, 'the hung upstream request to be aborted');
    const rows = await newRows();
    expect(rows.map((r) => [r.response_status, r.outcome])).toEqual([
      [0, 'upstream-fault'],
      [200, 'ok'],
    ]);
    expect(rows[0]?.error).toMatch(/timeout/);
    await expectNoKeyPenalised();
  });

  it('answers 504 in OpenAI shape when every key times out', async () => {
    mock.configure({ fault: 'hang' });
    const res = await chat(gw.url, gw.accessToken);
    const error = await expectOpenAIError(res, 504);
    expect(error.code).toBe('upstream_timeout');
    expect(mock.stats().requests).toBe(KEYS.length);
    await until(() => mock.stats().aborted === KEYS.length, 'every hung request to be aborted');
    expect((await newRows()).map((r) => r.outcome)).toEqual(Array(KEYS.length).fill('upstream-fault'));
    await expectNoKeyPenalised();
  });
});

describe('the request deadline (request_deadline_ms)', () => {
  it('wins over max_retries: no retry starts after it, the last attempt is cut short, 504 names it', async () => {
    // Three keys and max_retries 3 would make three 300 ms attempts; 500 ms leaves room for two at most.
    expect((await gw.admin('PUT', '/config', { request_deadline_ms: 500 })).status).toBe(200);
    try {
      mock.configure({ fault: 'hang' });
      const error = await expectOpenAIError(await chat(gw.url, gw.accessToken), 504);
      expect(error.code).toBe('upstream_timeout');
      expect(error.message).toMatch(/request deadline \(request_deadline_ms = 500; [12] attempts?\)/);
      expect(mock.stats().requests).toBeLessThanOrEqual(2);
      const rows = await newRows();
      expect(rows.length).toBe(mock.stats().requests);
      expect(rows.every((r) => r.outcome === 'upstream-fault' && /timeout/.test(r.error ?? ''))).toBe(true);
      await expectNoKeyPenalised();
    } finally {
      await gw.admin('PUT', '/config', { request_deadline_ms: 300_000 });
    }
  });
});

describe('bursts of 503', () => {
  it('tries every key, answers 503 in OpenAI shape, and serves at once when the burst ends', async () => {
    mock.configure({ rate503: 1 });
    for (let i = 0; i < 5; i++) {
      const error = await expectOpenAIError(await chat(gw.url, gw.accessToken), 503);
      expect(error.type).toBe('api_error');
    }
    expect(mock.stats().requests).toBe(5 * KEYS.length);
    await expectNoKeyPenalised();

    mock.configure({ rate503: 0 });
    const before = mock.stats().requests;
    for (let i = 0; i < 6; i++) expect((await chat(gw.url, gw.accessToken)).status).toBe(200);
    expect(mock.stats().requests - before).toBe(6);
    const rows = await newRows();
    expect(rows.filter((r) => r.response_status === 503)).toHaveLength(5 * KEYS.length);
    expect(rows.filter((r) => r.outcome === 'ok')).toHaveLength(6);
  });

  it('answers 200 or a well-formed 503 to every request of a partial burst', async () => {
    mock.configure({ rate503: 0.6, seed: 7 });
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => chat(gw.url, gw.accessToken, { stream: i % 4 === 0 })),
    );
    let ok = 0;
    for (const res of responses) {
      if (res.status === 200) {
        ok += 1;
        await res.text();
      } else await expectOpenAIError(res, 503);
    }
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBe(mock.stats().ok);
    expect((await newRows()).length).toBe(mock.stats().requests);
    await expectNoKeyPenalised();
  });
});

describe('a stream stalling mid-way (stream_idle_timeout_ms)', () => {
  it('ends the OpenAI stream with an error event, cancels the upstream and records the attempt', async () => {
    mock.configure({ fault: 'stall-mid-stream', faultCount: 1, streamChunks: 6 });
    const res = await chat(gw.url, gw.accessToken, { stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ type: 'api_error', code: 'stream_stalled' });
    expect(mock.stats().requests).toBe(1);
    await until(() => mock.stats().aborted === 1, 'the stalled upstream request to be cancelled');
    const rows = await newRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      response_status: 200,
      outcome: 'upstream-fault',
      error: 'stream stalled',
    });
    expect(rows[0]!.tokens_used).toBeGreaterThan(0);
  });

  it('ends a native SSE stream with a Google-shaped error event', async () => {
    mock.configure({ fault: 'stall-mid-stream', faultCount: 1, streamChunks: 6 });
    const res = await fetch(`${gw.url}/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.accessToken, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\r\n\r\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ code: 502, status: 'UNAVAILABLE' });
    const rows = await newRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: 'streamGenerateContent', error: 'stream stalled' });
  });
});

describe('a 200 with an empty or unparsable body', () => {
  for (const [fault, reason] of [
    ['empty-200', 'empty_body'],
    ['garbage-200', 'invalid_body'],
  ] as const) {
    it(`${fault}: counts as an upstream fault and is retried on another key`, async () => {
      mock.configure({ fault, faultCount: 1 });
      const res = await chat(gw.url, gw.accessToken);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string };
      expect(body.object).toBe('chat.completion');
      expect(mock.stats().requests).toBe(2);
      expect(keysTried()).toHaveLength(2);
      const rows = await newRows();
      expect(rows.map((r) => [r.response_status, r.outcome])).toEqual([
        [200, 'upstream-fault'],
        [200, 'ok'],
      ]);
      expect(rows[0]?.error).toContain(reason);
      await expectNoKeyPenalised();
    });

    it(`${fault} on a stream: retried on another key before anything is sent`, async () => {
      mock.configure({ fault, faultCount: 1 });
      const res = await chat(gw.url, gw.accessToken, { stream: true });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith('data: {')).toBe(true);
      expect(text).toContain('data: [DONE]');
      expect(text).not.toContain('{"choi\n');
      expect(mock.stats().requests).toBe(2);
      expect((await newRows()).map((r) => r.outcome)).toEqual(['upstream-fault', 'ok']);
    });
  }

  it('answers 502 in OpenAI shape when every key answers an empty 200', async () => {
    mock.configure({ fault: 'empty-200' });
    const error = await expectOpenAIError(await chat(gw.url, gw.accessToken), 502);
    expect(error.type).toBe('api_error');
    expect(mock.stats().requests).toBe(KEYS.length);
  });
});

describe('the client disconnecting mid-stream', () => {
  it('aborts the upstream request promptly and records the attempt with the tokens used so far', async () => {
    // 200 chunks 20 ms apart: the upstream stream would run for 4 s if nobody cancelled it.
    mock.configure({ streamChunks: 200, chunkIntervalMs: 20 });
    const controller = new AbortController();
    const res = await chat(gw.url, gw.accessToken, { stream: true, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while ((text.match(/\n\n/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);

    await until(() => mock.stats().aborted === 1, 'the upstream request to be aborted', 3000);
    expect(mock.stats().ok).toBe(0);
    expect(mock.stats().requests).toBe(1);
    const row = await until(async () => (await newRows())[0], 'the client-abort usage row', 3000);
    expect(row).toMatchObject({ response_status: 499, outcome: 'client-abort', attempt: 1 });
    expect(row.tokens_used).toBeGreaterThan(0);
    expect(row.api_key_id).toBeGreaterThan(0);
    const key = (await gw.admin('GET', `/keys?q=${row.api_key_id}`)).body.keys[0];
    expect(key.state).toBe('active');
  });
});
