import { describe, expect, it } from 'vitest';
import type { GenerateContentResponse } from '../gemini/types.js';
import type { BuildContext } from './builder.js';
import type { RequestEcho } from './request.js';
import { responseFromGemini } from './response.js';
import { ResponsesStreamTranslator } from './stream.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function context(overrides: Partial<RequestEcho> = {}): BuildContext {
  let n = 0;
  return {
    id: 'resp_test',
    createdAt: 1_770_000_000,
    newId: (prefix) => `${prefix}_${++n}`,
    echo: {
      model: 'gpt-5',
      instructions: null,
      maxOutputTokens: null,
      temperature: null,
      topP: null,
      parallelToolCalls: true,
      toolChoice: 'auto',
      tools: [],
      store: false,
      reasoning: { effort: null, summary: null },
      textFormat: { type: 'text' },
      metadata: {},
      includeEncrypted: false,
      customTools: new Set(),
      ...overrides,
    },
  };
}

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\r\n\r\n`;
const parts = (...p: unknown[]) => ({ candidates: [{ content: { role: 'model', parts: p }, index: 0 }] });

interface Event {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

function run(ctx: BuildContext, chunks: string[]): { events: Event[]; frames: string[] } {
  const t = new ResponsesStreamTranslator(ctx);
  let text = '';
  for (const c of chunks) text += dec.decode(t.push(enc.encode(c)));
  text += dec.decode(t.end());
  const frames = text.split('\n\n').filter((f) => f !== '');
  const events = frames.map((f) => JSON.parse(f.split('\n')[1]!.slice(6)) as Event);
  return { events, frames };
}

const USAGE = {
  promptTokenCount: 40,
  candidatesTokenCount: 12,
  thoughtsTokenCount: 98,
  cachedContentTokenCount: 8,
  totalTokenCount: 150,
};

describe('ResponsesStreamTranslator: golden', () => {
  it('turns a text stream into the SDK event sequence', () => {
    const body =
      sse({ ...parts({ text: 'Hel' }), usageMetadata: { promptTokenCount: 9 } }) +
      sse({ ...parts({ text: 'lo' }), usageMetadata: { promptTokenCount: 9 } }) +
      sse({
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }],
        usageMetadata: USAGE,
      });
    // Split mid-event to prove events are only emitted once whole.
    const { events, frames } = run(context(), [body.slice(0, 30), body.slice(30)]);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(frames[0]!.startsWith('event: response.created\ndata: {')).toBe(true);
    expect(events[4]).toMatchObject({ item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel' });
    expect(events[6]).toMatchObject({ text: 'Hello' });
    const done = events[9]!.response as Record<string, unknown>;
    expect(done).toMatchObject({
      id: 'resp_test',
      status: 'completed',
      model: 'gpt-5',
      output_text: 'Hello',
      output: [
        {
          type: 'message',
          id: 'msg_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Hello', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 40,
        input_tokens_details: { cached_tokens: 8 },
        output_tokens: 110,
        output_tokens_details: { reasoning_tokens: 98 },
        total_tokens: 150,
      },
    });
    expect((events[0]!.response as Record<string, unknown>).status).toBe('in_progress');
  });

  it('streams thoughts as a reasoning summary and calls with their signatures in call_id', () => {
    const body =
      sse(parts({ text: 'Thinking about weather', thought: true })) +
      sse({
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG1' },
                { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
              ],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: USAGE,
      });
    const { events } = run(context(), [body]);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const output = (events[16]!.response as { output: Array<Record<string, unknown>> }).output;
    expect(output).toEqual([
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Thinking about weather' }] },
      {
        type: 'function_call',
        id: 'fc_3',
        call_id: 'call_2.ts.SIG1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      },
      {
        type: 'function_call',
        id: 'fc_5',
        call_id: 'call_4',
        name: 'get_weather',
        arguments: '{"city":"Rome"}',
        status: 'completed',
      },
    ]);
  });

  it('carries a text signature in encrypted_content when include asks for it', () => {
    const gemini: GenerateContentResponse = {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Hi', thoughtSignature: 'TSIG' }] },
          finishReason: 'STOP',
        },
      ],
    };
    const withInclude = responseFromGemini(gemini, context({ includeEncrypted: true }));
    expect(withInclude.output[1]).toEqual({
      type: 'reasoning',
      id: 'rs_2',
      summary: [],
      encrypted_content: 'gkp1.TSIG',
    });
    expect(responseFromGemini(gemini, context()).output).toHaveLength(1);
  });

  it('ends as incomplete on MAX_TOKENS and on a blocked prompt', () => {
    const max = run(context(), [
      sse({ candidates: [{ content: { parts: [{ text: 'a' }] }, finishReason: 'MAX_TOKENS' }] }),
    ]);
    const last = max.events[max.events.length - 1]!;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
    const blocked = responseFromGemini({ promptFeedback: { blockReason: 'SAFETY' } }, context());
    expect(blocked).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
  });

  it('fails the response on an error event, a cut stream, or an interruption', () => {
    const err = {
      error: {
        code: 429,
        message: 'Quota for key AIzaSyA1234567890123456789012345678901 hit',
        status: 'RESOURCE_EXHAUSTED',
      },
    };
    const t = new ResponsesStreamTranslator(context());
    const out = dec.decode(t.push(enc.encode(sse(parts({ text: 'a' })) + sse(err))));
    expect(out).toContain('event: response.failed');
    expect(out).not.toContain('AIzaSyA1234567890123456789012345678901');
    expect(t.problem).toEqual({ error: err.error });
    expect(t.end()).toHaveLength(0);

    const cut = new ResponsesStreamTranslator(context());
    cut.push(enc.encode(sse(parts({ text: 'a' }))));
    expect(dec.decode(cut.end())).toContain('"status":"failed"');
    expect(cut.problem).toBe('unterminated');

    const broken = new ResponsesStreamTranslator(context());
    broken.push(enc.encode(sse(parts({ text: 'a' }))));
    const failed = dec.decode(broken.interrupt('stalled'));
    expect(failed).toContain('event: response.failed');
    expect(failed).toContain('Upstream stream stalled');
    expect(broken.interrupt('stalled')).toHaveLength(0);
  });

  it('builds the same object buffered as streamed', () => {
    const gemini: GenerateContentResponse = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }] }, finishReason: 'STOP' }],
      usageMetadata: USAGE,
    };
    const streamed = run(context(), [sse(gemini)]).events.at(-1)!.response;
    expect(responseFromGemini(gemini, context())).toEqual(streamed);
  });
});
