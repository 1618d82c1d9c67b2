import { describe, expect, it } from 'vitest';
import { bearer, post, sseEvents } from './helpers.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();
const CHAT = '/v1beta/openai/chat/completions';

describe('mock gemini: OpenAI-compatible chat', () => {
  it('answers non-streaming chat with Google’s shape: sorted keys, 22-char id, usage', async () => {
    const res = await post(
      mock().url + CHAT,
      { model: 'models/gemini-2.5-flash', messages: [{ role: 'user', content: 'a'.repeat(40) }] },
      bearer(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(['choices', 'created', 'id', 'model', 'object', 'usage']);
    expect(body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body).not.toHaveProperty('system_fingerprint');
    expect(body.model).toBe('gemini-2.5-flash');
    expect(body.object).toBe('chat.completion');
    expect(body.choices).toEqual([
      { finish_reason: 'stop', index: 0, message: { content: 'Hello from the', role: 'assistant' } },
    ]);
    expect(body.usage).toEqual({ completion_tokens: 3, prompt_tokens: 10, total_tokens: 13 });
  });

  it('derives prompt tokens from the input length', async () => {
    const tokens = async (content: string) => {
      const res = await post(
        mock().url + CHAT,
        { model: 'gemini-2.0-flash', messages: [{ content }] },
        bearer(),
      );
      return (await res.json()).usage.prompt_tokens;
    };
    expect(await tokens('x'.repeat(400))).toBe(100);
    expect(await tokens('x'.repeat(8))).toBe(2);
  });

  it('streams SSE with role in every delta, cumulative usage, finish_reason only last, then [DONE]', async () => {
    mock().configure({ streamChunks: 4 });
    const res = await post(
      mock().url + CHAT,
      { model: 'gemini-3-flash-preview', stream: true, messages: [{ role: 'user', content: 'hello' }] },
      bearer(),
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = sseEvents(text, '\n\n');
    expect(events.pop()).toBe('[DONE]');
    const chunks = events.map((event) => JSON.parse(event));
    expect(chunks).toHaveLength(4);
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    chunks.forEach((chunk, i) => {
      expect(Object.keys(chunk)).toEqual(['choices', 'created', 'id', 'model', 'object', 'usage']);
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.choices[0].delta.role).toBe('assistant');
      expect(chunk.usage.completion_tokens).toBe(i + 1);
      expect(chunk.usage.prompt_tokens).toBe(2);
      expect(chunk.usage.total_tokens).toBeGreaterThan(
        chunk.usage.prompt_tokens + chunk.usage.completion_tokens,
      );
      if (i < 3) expect(chunk.choices[0]).not.toHaveProperty('finish_reason');
    });
    expect(chunks[3].choices[0].finish_reason).toBe('stop');
    expect(chunks.map((c) => c.choices[0].delta.content).join('')).toBe('Hello from the mock');
  });

  it('ends a stream with two tool calls without index when the request has tools', async () => {
    const res = await post(
      mock().url + CHAT,
      {
        model: 'gemini-2.5-flash',
        stream: true,
        messages: [{ role: 'user', content: 'weather?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
      },
      bearer(),
    );
    const chunks = sseEvents(await res.text(), '\n\n')
      .filter((event) => event !== '[DONE]')
      .map((event) => JSON.parse(event));
    const toolChunks = chunks.filter((c) => c.choices[0].delta.tool_calls);
    expect(toolChunks).toHaveLength(2);
    expect(chunks.slice(-2)).toEqual(toolChunks);
    for (const chunk of toolChunks) {
      const calls = chunk.choices[0].delta.tool_calls;
      expect(calls).toHaveLength(1);
      expect(calls[0]).not.toHaveProperty('index');
      expect(calls[0].type).toBe('function');
      expect(calls[0].function.name).toBe('get_weather');
      expect(JSON.parse(calls[0].function.arguments)).toHaveProperty('city');
      expect(calls[0].extra_content.google.thought_signature).toMatch(/^[A-Za-z0-9+/=]+$/);
    }
    expect(toolChunks[0].choices[0].delta.tool_calls[0].id).not.toBe(
      toolChunks[1].choices[0].delta.tool_calls[0].id,
    );
    expect(toolChunks[0].choices[0]).not.toHaveProperty('finish_reason');
    expect(toolChunks[1].choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.filter((c) => 'finish_reason' in c.choices[0])).toHaveLength(1);
  });

  it('returns tool calls with the toolCalls option, streaming or not', async () => {
    mock().configure({ toolCalls: true });
    const res = await post(
      mock().url + CHAT,
      { model: 'gemini-2.5-pro', messages: [{ content: 'x' }] },
      bearer(),
    );
    const body = await res.json();
    expect(body.choices[0].finish_reason).toBe('tool_calls');
    expect(body.choices[0].message.tool_calls).toHaveLength(2);
    expect(body.choices[0].message.tool_calls[0]).not.toHaveProperty('index');
    const stream = await post(
      mock().url + CHAT,
      { model: 'gemini-2.5-pro', stream: true, messages: [{ content: 'x' }] },
      bearer(),
    );
    const text = await stream.text();
    expect(text.match(/"tool_calls":\[/g)).toHaveLength(2);
    expect(text).toContain('"finish_reason":"tool_calls"');
  });
});

describe('mock gemini: OpenAI-compatible embeddings and models', () => {
  it('returns one embedding per input, deterministic per text', async () => {
    const embed = async (input: unknown) =>
      (
        await post(
          mock().url + '/v1beta/openai/embeddings',
          { model: 'gemini-embedding-001', input },
          bearer(),
        )
      ).json();
    const body = await embed(['alpha', 'beta', 'alpha']);
    expect(body.object).toBe('list');
    expect(body.model).toBe('gemini-embedding-001');
    expect(body.data).toHaveLength(3);
    body.data.forEach((item: { object: string; index: number; embedding: number[] }, i: number) => {
      expect(item.object).toBe('embedding');
      expect(item.index).toBe(i);
      expect(item.embedding.length).toBeGreaterThan(0);
      expect(item.embedding.length).toBeLessThanOrEqual(16);
    });
    expect(body.data[0].embedding).toEqual(body.data[2].embedding);
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding);
    expect(body.usage.prompt_tokens).toBe(body.usage.total_tokens);
    const single = await embed('alpha');
    expect(single.data).toHaveLength(1);
    expect(single.data[0].embedding).toEqual(body.data[0].embedding);
  });

  it('answers float arrays even when base64 is asked for, as Google does', async () => {
    const res = await post(
      mock().url + '/v1beta/openai/embeddings',
      { model: 'gemini-embedding-001', input: 'alpha', encoding_format: 'base64' },
      bearer(),
    );
    const body = await res.json();
    expect(Array.isArray(body.data[0].embedding)).toBe(true);
  });

  it('lists models with the models/ prefix and gets one by id', async () => {
    const list = await (await fetch(mock().url + '/v1beta/openai/models', { headers: bearer() })).json();
    expect(list.object).toBe('list');
    const ids = list.data.map((m: { id: string }) => m.id);
    expect(ids).toContain('models/gemini-2.5-flash');
    expect(ids).toContain('models/gemini-embedding-001');
    expect(ids.every((id: string) => id.startsWith('models/'))).toBe(true);
    for (const path of ['models/gemini-2.5-pro', 'models/models/gemini-2.5-pro']) {
      const res = await fetch(`${mock().url}/v1beta/openai/${path}`, { headers: bearer() });
      expect(await res.json()).toEqual({ id: 'models/gemini-2.5-pro', object: 'model', owned_by: 'google' });
    }
  });
});

describe('mock gemini: OpenAI-compatible errors are array-wrapped', () => {
  it('answers an unknown model with the 404 NOT_FOUND body in an array', async () => {
    const res = await post(mock().url + CHAT, { model: 'gemini-pro', messages: [] }, bearer());
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(1);
    expect(body[0].error.code).toBe(404);
    expect(body[0].error.status).toBe('NOT_FOUND');
    expect(body[0].error.message).toContain('models/gemini-pro is not found');
    const get = await fetch(mock().url + '/v1beta/openai/models/gemini-pro', { headers: bearer() });
    expect(get.status).toBe(404);
    expect((await get.json())[0].error.status).toBe('NOT_FOUND');
  });

  it('rejects web_search_options with the bad-field body', async () => {
    const res = await post(
      mock().url + CHAT,
      { model: 'gemini-2.5-flash', messages: [], web_search_options: {} },
      bearer(),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual([
      {
        error: {
          code: 400,
          message: 'Invalid JSON payload received. Unknown name "web_search_options": Cannot find field.',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.BadRequest',
              fieldViolations: [
                {
                  description:
                    'Invalid JSON payload received. Unknown name "web_search_options": Cannot find field.',
                },
              ],
            },
          ],
        },
      },
    ]);
  });

  it('answers a missing key with the array-wrapped API_KEY_INVALID body', async () => {
    const res = await post(mock().url + CHAT, { model: 'gemini-2.5-flash', messages: [] });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body[0].error.details[0].reason).toBe('API_KEY_INVALID');
  });

  it('uses embedding models only for embeddings', async () => {
    const res = await post(
      mock().url + '/v1beta/openai/embeddings',
      { model: 'gemini-2.5-flash', input: 'x' },
      bearer(),
    );
    expect(res.status).toBe(404);
    expect((await res.json())[0].error.status).toBe('NOT_FOUND');
  });
});
