import { describe, expect, it } from 'vitest';
import { googKey, KEY, post, sseEvents } from './helpers.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();

const CONTENTS = { contents: [{ role: 'user', parts: [{ text: 'x'.repeat(20) }] }] };
const model = (m: string, method: string) => `/v1beta/models/${m}:${method}`;

interface Chunk {
  candidates: [{ content: { parts: { text: string }[]; role: string }; finishReason?: string }];
  usageMetadata: {
    promptTokenCount: number;
    candidatesTokenCount: number;
    thoughtsTokenCount: number;
    totalTokenCount: number;
    cachedContentTokenCount?: number;
  };
  modelVersion: string;
  responseId: string;
}

function checkUsage(chunk: Chunk, candidates: number): void {
  const u = chunk.usageMetadata;
  expect(u.promptTokenCount).toBe(5);
  expect(u.candidatesTokenCount).toBe(candidates);
  expect(u.thoughtsTokenCount).toBeGreaterThan(0);
  expect(u.totalTokenCount).toBe(u.promptTokenCount + u.candidatesTokenCount + u.thoughtsTokenCount);
}

describe('mock gemini: native generation', () => {
  it('answers generateContent with candidates and usageMetadata', async () => {
    const res = await post(mock().url + model('gemini-2.5-flash', 'generateContent'), CONTENTS, googKey());
    expect(res.status).toBe(200);
    const body = (await res.json()) as Chunk;
    expect(body.candidates[0].content).toEqual({ parts: [{ text: 'Hello from the' }], role: 'model' });
    expect(body.candidates[0].finishReason).toBe('STOP');
    expect(body.modelVersion).toBe('gemini-2.5-flash');
    checkUsage(body, 3);
    expect(body.usageMetadata).not.toHaveProperty('cachedContentTokenCount');
  });

  it('reports cachedContentTokenCount when the request uses cachedContent', async () => {
    const created = await post(
      `${mock().url}/v1beta/cachedContents`,
      { model: 'gemini-2.5-flash', ...CONTENTS },
      googKey(),
    );
    const { name } = (await created.json()) as { name: string };
    const res = await post(
      mock().url + model('gemini-2.5-flash', 'generateContent'),
      { ...CONTENTS, cachedContent: name },
      googKey(),
    );
    expect(((await res.json()) as Chunk).usageMetadata.cachedContentTokenCount).toBe(2);
  });

  it('streams SSE as data: {json}\\r\\n\\r\\n with cumulative usage and no [DONE]', async () => {
    const res = await post(
      mock().url + model('gemini-2.5-pro', 'streamGenerateContent') + '?alt=sse',
      CONTENTS,
      googKey(),
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    expect(text.endsWith('}\r\n\r\n')).toBe(true);
    const chunks = sseEvents(text, '\r\n\r\n').map((e) => JSON.parse(e) as Chunk);
    expect(chunks).toHaveLength(3);
    chunks.forEach((chunk, i) => {
      checkUsage(chunk, i + 1);
      expect(chunk.candidates[0].content.role).toBe('model');
      if (i < 2) expect(chunk.candidates[0]).not.toHaveProperty('finishReason');
    });
    expect(chunks[2]?.candidates[0].finishReason).toBe('STOP');
    expect(new Set(chunks.map((c) => c.responseId)).size).toBe(1);
  });

  it('streams a JSON array framed as [{…}\\r\\n,{…}\\r\\n] without alt=sse', async () => {
    mock().configure({ streamChunks: 2 });
    const res = await post(
      mock().url + model('gemini-2.5-flash', 'streamGenerateContent'),
      CONTENTS,
      googKey(),
    );
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text.startsWith('[{')).toBe(true);
    expect(text.endsWith('}\r\n]')).toBe(true);
    expect(text.split('}\r\n,{')).toHaveLength(2);
    const chunks = JSON.parse(text) as Chunk[];
    expect(chunks).toHaveLength(2);
    checkUsage(chunks[0] as Chunk, 1);
    checkUsage(chunks[1] as Chunk, 2);
    expect(chunks[1]?.candidates[0]?.finishReason).toBe('STOP');
  });

  it('counts tokens from the input length', async () => {
    const res = await post(mock().url + model('gemini-2.5-flash', 'countTokens'), CONTENTS, googKey());
    expect(await res.json()).toEqual({ totalTokens: 5 });
    const wrapped = await post(
      mock().url + model('gemini-2.5-flash', 'countTokens'),
      { generateContentRequest: { model: 'models/gemini-2.5-flash', ...CONTENTS } },
      googKey(),
    );
    expect(await wrapped.json()).toEqual({ totalTokens: 5 });
  });
});

describe('mock gemini: native embeddings', () => {
  it('embedContent → {"embedding":{"values":[…]}}, deterministic', async () => {
    const embed = async (text: string) =>
      (
        await post(
          mock().url + model('gemini-embedding-001', 'embedContent'),
          { content: { parts: [{ text }] } },
          googKey(),
        )
      ).json();
    const a = await embed('alpha');
    expect(Object.keys(a)).toEqual(['embedding']);
    expect(a.embedding.values.length).toBeGreaterThan(0);
    expect(await embed('alpha')).toEqual(a);
    expect(await embed('beta')).not.toEqual(a);
  });

  it('batchEmbedContents → one embedding per request', async () => {
    const res = await post(
      mock().url + model('text-embedding-004', 'batchEmbedContents'),
      {
        requests: ['a', 'b', 'c'].map((text) => ({
          model: 'models/text-embedding-004',
          content: { parts: [{ text }] },
          outputDimensionality: 4,
        })),
      },
      googKey(),
    );
    const body = await res.json();
    expect(body.embeddings).toHaveLength(3);
    expect(body.embeddings[0].values).toHaveLength(4);
  });
});

describe('mock gemini: native models and errors', () => {
  it('pages the model list with pageSize / pageToken', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = `?pageSize=4${token ? `&pageToken=${token}` : ''}`;
      const page = await (await fetch(`${mock().url}/v1beta/models${query}`, { headers: googKey() })).json();
      for (const m of page.models) {
        expect(Object.keys(m)).toEqual([
          'name',
          'version',
          'displayName',
          'inputTokenLimit',
          'outputTokenLimit',
          'supportedGenerationMethods',
        ]);
        names.push(m.name);
      }
      token = page.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(names).toHaveLength(7);
    expect(names).toContain('models/gemini-3-flash-preview');
    const all = await (await fetch(`${mock().url}/v1beta/models`, { headers: googKey() })).json();
    expect(all.models).toHaveLength(7);
    expect(all).not.toHaveProperty('nextPageToken');
  });

  it('gets one model, and 404s an unknown one with a plain (not array) body', async () => {
    const one = await (
      await fetch(`${mock().url}/v1beta/models/gemini-2.0-flash`, { headers: googKey() })
    ).json();
    expect(one.name).toBe('models/gemini-2.0-flash');
    expect(one.supportedGenerationMethods).toContain('generateContent');
    const res = await post(mock().url + model('gemini-pro', 'generateContent'), CONTENTS, googKey());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        code: 404,
        message:
          'models/gemini-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
        status: 'NOT_FOUND',
      },
    });
  });

  it('rejects web_search_options with a plain bad-field body', async () => {
    const res = await post(
      mock().url + model('gemini-2.5-flash', 'generateContent'),
      { ...CONTENTS, web_search_options: {} },
      googKey(),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.details[0]['@type']).toBe('type.googleapis.com/google.rpc.BadRequest');
  });

  it('accepts the key in ?key= and counts it as keyInQuery', async () => {
    const res = await post(
      `${mock().url}${model('gemini-2.5-flash', 'generateContent')}?key=${KEY}`,
      CONTENTS,
    );
    expect(res.status).toBe(200);
    const header = await post(mock().url + model('gemini-2.5-flash', 'generateContent'), CONTENTS, googKey());
    expect(header.status).toBe(200);
    expect(mock().stats().keyInQuery).toBe(1);
    expect(mock().stats().byKey['AIza…Xy12']).toBe(2);
  });

  it('answers a missing key with the plain API_KEY_INVALID body', async () => {
    const res = await post(mock().url + model('gemini-2.5-flash', 'generateContent'), CONTENTS);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.details[0].reason).toBe('API_KEY_INVALID');
  });
});
