import { describe, expect, it } from 'vitest';
import { googKey, post, sseEvents } from './helpers.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();
const url = (m: string, method: string) => `${mock().url}/v1beta/models/${m}:${method}`;

const TOOLS = [
  {
    functionDeclarations: [
      { name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } },
    ],
  },
];
const ASK = { role: 'user', parts: [{ text: 'Weather in Paris and London?' }] };

type Part = {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name: string; args: unknown };
};
type Body = { candidates: [{ content: { parts: Part[] }; finishReason?: string }] };

async function generate(m: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await post(url(m, 'generateContent'), body, googKey());
  return { status: res.status, json: await res.json() };
}

describe('mock gemini: native tools and thought signatures', () => {
  it('answers a request with tools with two calls, signed on the first call only on Gemini 3', async () => {
    const { status, json } = await generate('gemini-3-flash-preview', { contents: [ASK], tools: TOOLS });
    expect(status).toBe(200);
    const parts = (json as Body).candidates[0].content.parts;
    expect(parts.map((p) => p.functionCall)).toEqual([
      { name: 'get_weather', args: { city: 'Paris' } },
      { name: 'get_weather', args: { city: 'London' } },
    ]);
    expect(typeof parts[0]!.thoughtSignature).toBe('string');
    expect(parts[1]).not.toHaveProperty('thoughtSignature');
    const old = await generate('gemini-2.5-flash', { contents: [ASK], tools: TOOLS });
    expect((old.json as Body).candidates[0].content.parts[0]).not.toHaveProperty('thoughtSignature');
  });

  it('answers text once the last turn holds the function responses, and honours mode NONE', async () => {
    const first = await generate('gemini-3-flash-preview', { contents: [ASK], tools: TOOLS });
    const modelTurn = { role: 'model', parts: (first.json as Body).candidates[0].content.parts };
    const answers = {
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { temp: 20 } } }],
    };
    const next = await generate('gemini-3-flash-preview', {
      contents: [ASK, modelTurn, answers],
      tools: TOOLS,
    });
    expect(next.status).toBe(200);
    expect((next.json as Body).candidates[0].content.parts[0]!.text).toBe('Hello from the');
    const none = await generate('gemini-2.5-flash', {
      contents: [ASK],
      tools: TOOLS,
      toolConfig: { functionCallingConfig: { mode: 'NONE' } },
    });
    expect((none.json as Body).candidates[0].content.parts[0]!.text).toBe('Hello from the');
  });

  it("refuses a Gemini 3 history whose function call lost its signature, in Google's words", async () => {
    const unsigned = {
      role: 'model',
      parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
    };
    const answers = { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: {} } }] };
    const body = { contents: [ASK, unsigned, answers], tools: TOOLS };
    const refused = await generate('gemini-3-flash-preview', body);
    expect(refused.status).toBe(400);
    expect(refused.json.error.status).toBe('INVALID_ARGUMENT');
    expect(refused.json.error.message).toBe(
      'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:get_weather` , position 2. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.',
    );
    // Older models do not need it.
    expect((await generate('gemini-2.5-flash', body)).status).toBe(200);
  });

  it('refuses an invalid function name as INVALID_ARGUMENT', async () => {
    const tools = [{ functionDeclarations: [{ name: 'get weather!' }] }];
    const refused = await generate('gemini-2.5-flash', { contents: [ASK], tools });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(
      /^\* GenerateContentRequest\.tools\[0\]\.function_declarations\[0\]\.name: Invalid function name/,
    );
  });

  it('streams a signed thought first when thoughts are asked for, then the calls whole', async () => {
    const res = await post(
      `${url('gemini-3-flash-preview', 'streamGenerateContent')}?alt=sse`,
      { contents: [ASK], tools: TOOLS, generationConfig: { thinkingConfig: { includeThoughts: true } } },
      googKey(),
    );
    const events = sseEvents(await res.text(), '\r\n\r\n').map((e) => JSON.parse(e) as Body);
    expect(events).toHaveLength(2);
    expect(events[0]!.candidates[0].content.parts[0]).toMatchObject({
      thought: true,
      text: 'Thinking it over.',
    });
    expect(events[1]!.candidates[0].content.parts).toHaveLength(2);
    expect(events[1]!.candidates[0].finishReason).toBe('STOP');
  });
});
