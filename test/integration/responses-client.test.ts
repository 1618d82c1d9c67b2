/**
 * `POST /v1/responses` end to end on Node: real server, real SQLite file, the mock Gemini upstream
 * (native API), and the official `openai` client's `responses` methods unchanged.
 */
import OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { functionCallLoop, SDK_STREAM_ORDER, WEATHER_TOOL } from '../support/responses.js';

const INVALID = fakeKey('resp-invalid');
const LIMITED = fakeKey('resp-limited');
const GOOD = fakeKey('resp-good');

let mock: MockGemini;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [INVALID, LIMITED, GOOD] });
  client = new OpenAI({ apiKey: gw.accessToken, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

afterEach(() => mock.reset());

async function lastUsageRow() {
  await gw.running.gateway.flush();
  return (await gw.admin('GET', '/usage?limit=1&endpoint=responses')).body.usage[0];
}

describe('responses through the official SDK', () => {
  it('responses.create answers text with usage, on the Gemini model an alias names', async () => {
    const res = await client.responses.create({ model: 'gpt-5', input: 'Say hello', store: false });
    expect(res.object).toBe('response');
    expect(res.status).toBe('completed');
    expect(res.model).toBe('gpt-5');
    expect(res.output_text.length).toBeGreaterThan(0);
    expect(res.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(res.usage!.input_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
    const row = await lastUsageRow();
    expect(row).toMatchObject({
      status: 200,
      model: 'gemini-2.5-flash',
      prompt_tokens: res.usage!.input_tokens,
      completion_tokens: res.usage!.output_tokens,
      total_tokens: res.usage!.total_tokens,
    });
    const sent = mock.stats();
    expect(sent.requests).toBe(1);
  });

  it('responses.stream emits the typed events in order, then finalResponse()', async () => {
    mock.configure({ streamChunks: 4 });
    const stream = client.responses.stream({ model: 'gemini-2.5-pro', input: 'Count to four' });
    const types: string[] = [];
    const sequence: number[] = [];
    let deltas = '';
    stream.on('event', (event) => {
      types.push(event.type);
      sequence.push(event.sequence_number);
    });
    stream.on('response.output_text.delta', (event) => (deltas += event.delta));
    const final = await stream.finalResponse();
    expect(types.filter((t, i) => t !== types[i - 1])).toEqual(SDK_STREAM_ORDER);
    expect(types.filter((t) => t === 'response.output_text.delta').length).toBeGreaterThanOrEqual(4);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe(deltas);
    const row = await lastUsageRow();
    expect(row).toMatchObject({
      status: 200,
      model: 'gemini-2.5-pro',
      total_tokens: final.usage!.total_tokens,
    });
  });

  for (const stream of [false, true]) {
    it(`runs a function_call → function_call_output loop on Gemini 3 with store: false (${stream ? 'streaming' : 'buffered'})`, async () => {
      const result = await functionCallLoop(client, 'gemini-3-flash-preview', stream);
      expect(result.calls.map((c) => c.name)).toEqual(['get_weather', 'get_weather']);
      expect(result.final.status).toBe('completed');
      expect(result.final.output_text.length).toBeGreaterThan(0);
      // The replayed turn carried its signature: Gemini 3 refuses a history that lost it.
      expect(mock.stats().requests).toBe(2);
    });
  }

  it('without the carried signature the same loop fails, as Gemini 3 refuses it', async () => {
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.responses.create({
      model: 'gemini-3-flash-preview',
      input,
      tools: [WEATHER_TOOL],
      store: false,
    });
    for (const item of first.output) {
      if (item.type !== 'function_call') continue;
      const bare = item.call_id.split('.ts.')[0]!;
      input.push({ type: 'function_call', call_id: bare, name: item.name, arguments: item.arguments });
      input.push({ type: 'function_call_output', call_id: bare, output: '{"temp":20}' });
    }
    const err = await client.responses
      .create({ model: 'gemini-3-flash-preview', input, tools: [WEATHER_TOOL], store: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('thought_signature');
  });

  it('returns reasoning with encrypted_content when include asks for it, and thought summaries', async () => {
    const res = await client.responses.create({
      model: 'gemini-3-flash-preview',
      input: 'Think, then answer',
      reasoning: { effort: 'low', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      store: false,
    });
    const reasoning = res.output.filter((item) => item.type === 'reasoning');
    expect(reasoning.some((r) => r.summary.some((s) => s.text.length > 0))).toBe(true);
    expect(reasoning.some((r) => typeof r.encrypted_content === 'string')).toBe(true);
    expect(res.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThanOrEqual(0);
  });
});

describe('responses and the pool', () => {
  it('fails over past an invalid key and cools a rate-limited key for that model only', async () => {
    mock.setKey(INVALID, 'invalid');
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '58s' });
    for (let i = 0; i < 3; i++) {
      const res = await client.responses.create({ model: 'gemini-2.5-flash', input: `hi ${i}` });
      expect(res.status).toBe('completed');
    }
    const keys = (await gw.admin('GET', '/keys?page_size=500')).body.keys as Array<Record<string, any>>;
    const invalid = keys.find((k) => k.key === maskKey(INVALID))!;
    const limited = keys.find((k) => k.key === maskKey(LIMITED))!;
    expect(invalid.state).toBe('disabled');
    expect(limited.state).toBe('cooling');
    expect(limited.cooldowns).toEqual([
      expect.objectContaining({ model: 'gemini-2.5-flash', reason: 'per_minute' }),
    ]);
    expect(mock.stats().byKey[maskKey(GOOD)]).toBe(3);
  });

  it('passes a schema Google refuses through once, in OpenAI shape, without counting a key error', async () => {
    const errorCounts = async () =>
      ((await gw.admin('GET', '/keys?page_size=500')).body.keys as Array<{ error_count: number }>).map(
        (k) => k.error_count,
      );
    const before = await errorCounts();
    const err = await client.responses
      .create({
        model: 'gemini-2.5-pro',
        input: 'x',
        tools: [{ type: 'function', name: 'bad name!', parameters: null, strict: false }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const error = (err as InstanceType<typeof OpenAI.BadRequestError>).error as Record<string, unknown>;
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_argument' });
    expect(String(error.message)).toContain('Invalid function name');
    expect(mock.stats().requests).toBe(1);
    expect(await errorCounts()).toEqual(before);
  });

  it('refuses previous_response_id with a clear 400 and answers GET /v1/responses/:id with 404', async () => {
    const err = await client.responses
      .create({ model: 'gemini-2.5-pro', input: 'x', previous_response_id: 'resp_123' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
    const missing = await client.responses.retrieve('resp_123').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(mock.stats().requests).toBe(0);
  });

  it('ends a stream that breaks after its first byte with response.failed, without a retry', async () => {
    mock.configure({ fault: 'reset-mid-body', faultCount: 1, streamChunks: 6 });
    const stream = client.responses.stream({ model: 'gemini-2.5-pro', input: 'long answer' });
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    await stream.done().catch(() => undefined);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.failed');
    expect(mock.stats().requests).toBe(1);
  });
});
