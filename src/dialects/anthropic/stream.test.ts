import { describe, expect, it } from 'vitest';
import type { GenerateContentResponse } from '../gemini/types.js';
import { geminiToMessage } from './response.js';
import { AnthropicStreamTap } from './stream.js';

/** Loosely typed event data, for assertions. */
type Event = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const encode = (text: string) => new TextEncoder().encode(text);
const sse = (body: unknown) => `data: ${JSON.stringify(body)}\r\n\r\n`;
const usage = (candidates: number) => ({
  promptTokenCount: 12,
  candidatesTokenCount: candidates,
  thoughtsTokenCount: 4,
  cachedContentTokenCount: 2,
  totalTokenCount: 16 + candidates,
});

/** The Anthropic events a Gemini stream becomes, fed in `pieces` cut at arbitrary points. */
function translate(
  gemini: string,
  cut = 7,
): { events: Array<{ event: string; data: Event }>; tap: AnthropicStreamTap } {
  const tap = new AnthropicStreamTap('claude-sonnet-4-5');
  let out = '';
  for (let i = 0; i < gemini.length; i += cut)
    out += new TextDecoder().decode(tap.push(encode(gemini.slice(i, i + cut))));
  out += new TextDecoder().decode(tap.end());
  const events = out
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      const [eventLine, dataLine] = e.split('\n');
      return { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) };
    });
  for (const { event, data } of events) expect(data.type).toBe(event);
  return { events, tap };
}

const THOUGHT_THEN_CALLS =
  sse({
    candidates: [{ content: { role: 'model', parts: [{ text: 'Let me see.', thought: true }] }, index: 0 }],
    usageMetadata: usage(0),
    responseId: 'resp1',
  }) +
  sse({
    candidates: [
      {
        content: {
          role: 'model',
          parts: [
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG' },
            { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: usage(16),
    responseId: 'resp1',
  });

describe('AnthropicStreamTap (golden)', () => {
  it('turns text chunks into the exact Anthropic event sequence', () => {
    const gemini =
      sse({
        candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }],
        usageMetadata: usage(1),
        responseId: 'r',
      }) +
      sse({
        candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, finishReason: 'STOP' }],
        usageMetadata: usage(2),
        responseId: 'r',
      });
    const { events, tap } = translate(gemini);
    expect(events.map((e) => e.data)).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_r',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: 10,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 2,
            output_tokens: 0,
          },
        },
      },
      { type: 'ping' },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 2,
          output_tokens: 6,
        },
      },
      { type: 'message_stop' },
    ]);
    expect(tap.usage).toEqual({ prompt: 12, completion: 6, total: 18 });
    expect(tap.problem).toBeNull();
  });

  it('gives thinking, the signature before the calls, and tool_use blocks with input_json_delta', () => {
    const { events } = translate(THOUGHT_THEN_CALLS, 13);
    expect(events.slice(2).map((e) => e.data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me see.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'gemini.SIG' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_resp1_1', name: 'get_weather', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"city":"Paris"}' },
      },
      { type: 'content_block_stop', index: 1 },
      {
        type: 'content_block_start',
        index: 2,
        content_block: { type: 'tool_use', id: 'toolu_resp1_2', name: 'get_weather', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '{"city":"Rome"}' },
      },
      { type: 'content_block_stop', index: 2 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 2,
          output_tokens: 20,
        },
      },
      { type: 'message_stop' },
    ]);
  });

  it('ends with an error event on an upstream error event, and on a stream cut before its finish reason', () => {
    const errored = translate(
      sse({ candidates: [{ content: { parts: [{ text: 'a' }] } }] }) +
        sse({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }),
    );
    expect(errored.events.at(-1)!.data).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'The model is overloaded.' },
    });
    expect(errored.tap.problem).toEqual({
      error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' },
    });
    const cut = translate(sse({ candidates: [{ content: { parts: [{ text: 'a' }] } }] }));
    expect(cut.events.at(-1)!.data.type).toBe('error');
    expect(cut.tap.problem).toBe('unterminated');
  });

  it('maps MAX_TOKENS and a blocked prompt', () => {
    const max = translate(
      sse({ candidates: [{ content: { parts: [{ text: 'a' }] }, finishReason: 'MAX_TOKENS' }] }),
    );
    expect(max.events.at(-2)!.data.delta.stop_reason).toBe('max_tokens');
    const blocked = translate(sse({ promptFeedback: { blockReason: 'SAFETY' } }));
    expect(blocked.events.at(-2)!.data.delta.stop_reason).toBe('refusal');
  });
});

describe('geminiToMessage (golden)', () => {
  it('builds the whole message the stream would have built', () => {
    const events = THOUGHT_THEN_CALLS.split('\r\n\r\n')
      .filter((e) => e !== '')
      .map((e) => JSON.parse(e.slice(6)));
    const whole: GenerateContentResponse = {
      candidates: [
        {
          content: {
            role: 'model' as const,
            parts: [...events[0].candidates[0].content.parts, ...events[1].candidates[0].content.parts],
          },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: usage(16),
      responseId: 'resp1',
    };
    expect(geminiToMessage(whole, 'claude-haiku-4-5')).toEqual({
      id: 'msg_resp1',
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [
        { type: 'thinking', thinking: 'Let me see.', signature: 'gemini.SIG' },
        { type: 'tool_use', id: 'toolu_resp1_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_resp1_2', name: 'get_weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2,
        output_tokens: 20,
      },
    });
  });
});
