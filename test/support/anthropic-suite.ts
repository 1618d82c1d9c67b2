/**
 * What the official `@anthropic-ai/sdk` does against the gateway and the mock upstream, shared by
 * the Node and the Workers runtime: messages.create, messages.stream, a tool loop on a Gemini 3
 * model (which needs its thought signatures back), countTokens, models, an unknown model, and an
 * unknown path under `/v1/messages/`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';

export interface AnthropicSuiteContext {
  client: Anthropic;
  /** The newest usage row of an endpoint, once written. */
  lastUsage(endpoint: string): Promise<Record<string, unknown>>;
}

type MessageParam = Anthropic.MessageParam;

const WEATHER: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather of a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

/** The client's next turn: every tool_use answered. */
function toolResults(message: Anthropic.Message): MessageParam {
  return {
    role: 'user',
    content: message.content
      .filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')
      .map((block) => ({
        type: 'tool_result',
        tool_use_id: block.id,
        content: `20°C in ${JSON.stringify(block.input)}`,
      })),
  };
}

/** A history replayed by a client that drops thinking blocks: the signatures are lost. */
function withoutThinking(message: Anthropic.Message): MessageParam {
  return { role: 'assistant', content: message.content.filter((block) => block.type !== 'thinking') };
}

/** The SDK's NotFoundError, carrying Anthropic's error body. */
function expectNotFound(outcome: unknown, message: unknown): void {
  expect(outcome).toBeInstanceOf(Anthropic.NotFoundError);
  expect((outcome as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
    type: 'error',
    error: { type: 'not_found_error', message },
  });
}

export function anthropicSuite(ctx: () => AnthropicSuiteContext): void {
  describe('@anthropic-ai/sdk against /v1/messages', () => {
    it('messages.create answers with text, end_turn and usage, and records the Gemini model used', async () => {
      const { client, lastUsage } = ctx();
      const message = await client.messages.create({
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 200,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Say hello' }],
        metadata: { user_id: 'u1' },
      });
      expect(message).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'Hello from the' }],
      });
      expect(message.id).toMatch(/^msg_/);
      expect(message.usage.input_tokens).toBeGreaterThan(0);
      expect(message.usage.output_tokens).toBeGreaterThan(0);
      const row = await lastUsage('messages');
      expect(row).toMatchObject({
        model: 'gemini-2.5-pro',
        status: 200,
        prompt_tokens: message.usage.input_tokens,
        completion_tokens: message.usage.output_tokens,
      });
    });

    it('messages.stream gives text deltas, then a final message with end_turn and usage', async () => {
      const { client, lastUsage } = ctx();
      const stream = client.messages.stream({
        model: 'gemini-2.5-flash',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      const deltas: string[] = [];
      const types: string[] = [];
      stream.on('text', (delta) => deltas.push(delta));
      stream.on('streamEvent', (event) => types.push(event.type));
      const final = await stream.finalMessage();
      expect(deltas).toEqual(['Hello', ' from', ' the']);
      expect(final.stop_reason).toBe('end_turn');
      expect(final.content).toEqual([{ type: 'text', text: 'Hello from the' }]);
      expect(types[0]).toBe('message_start');
      expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
      const row = await lastUsage('messages');
      expect(row).toMatchObject({ model: 'gemini-2.5-flash', status: 200 });
      expect(row.completion_tokens).toBe(final.usage.output_tokens);
    });

    for (const streaming of [false, true]) {
      it(`runs a tool_use → tool_result loop on Gemini 3 (${streaming ? 'streaming' : 'not streaming'}), carrying thought signatures`, async () => {
        const { client } = ctx();
        const ask = async (messages: MessageParam[]) => {
          const params = { model: 'gemini-3-flash-preview', max_tokens: 500, tools: [WEATHER], messages };
          return streaming ? client.messages.stream(params).finalMessage() : client.messages.create(params);
        };
        const history: MessageParam[] = [{ role: 'user', content: 'Weather in Paris and London?' }];
        const first = await ask(history);
        expect(first.stop_reason).toBe('tool_use');
        const calls = first.content.filter((b) => b.type === 'tool_use');
        expect(calls).toHaveLength(2);
        expect(calls[0]).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
        expect(first.content[0]).toMatchObject({
          type: 'thinking',
          signature: expect.stringMatching(/^gemini\./),
        });

        // Replayed unchanged: Gemini gets its signatures back.
        const second = await ask([
          ...history,
          { role: 'assistant', content: first.content },
          toolResults(first),
        ]);
        expect(second.stop_reason).toBe('end_turn');
        expect(second.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hello from the' })]);

        // Without the thinking blocks, Gemini 3 refuses the history, and the client hears why.
        const lost = await ask([...history, withoutThinking(first), toolResults(first)]).catch(
          (e: unknown) => e,
        );
        expect(lost).toBeInstanceOf(Anthropic.BadRequestError);
        expect((lost as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: expect.stringContaining('missing a thought_signature'),
          },
        });
      });
    }

    it('streams thinking with its signature when thinking is enabled', async () => {
      const { client } = ctx();
      const stream = client.messages.stream({
        model: 'gemini-3-flash-preview',
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [WEATHER],
        tool_choice: { type: 'any' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      const deltaTypes = new Set<string>();
      stream.on('streamEvent', (event) => {
        if (event.type === 'content_block_delta') deltaTypes.add(event.delta.type);
      });
      const final = await stream.finalMessage();
      expect([...deltaTypes].sort()).toEqual(['input_json_delta', 'signature_delta', 'thinking_delta']);
      expect(final.content[0]).toMatchObject({ type: 'thinking', thinking: 'Thinking it over.' });
      expect(final.stop_reason).toBe('tool_use');
    });

    it('messages.countTokens counts through Gemini countTokens', async () => {
      const { client } = ctx();
      const counted = await client.messages.countTokens({
        model: 'claude-opus-4-1',
        system: 'x'.repeat(40),
        messages: [{ role: 'user', content: 'y'.repeat(40) }],
      });
      expect(counted).toEqual({ input_tokens: 20 });
    });

    it('lists Gemini models in Anthropic’s shape', async () => {
      const { client } = ctx();
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toContain('gemini-2.5-flash');
      expect(ids).not.toContain('gemini-embedding-001');
      expect(await client.models.retrieve('gemini-2.5-pro')).toMatchObject({
        type: 'model',
        id: 'gemini-2.5-pro',
      });
    });

    it('answers the Message Batches API, which it does not serve, with an Anthropic-shaped 404', async () => {
      const { client } = ctx();
      const outcome = await client.messages.batches
        .create({
          requests: [
            {
              custom_id: 'a',
              params: {
                model: 'claude-sonnet-4-5',
                max_tokens: 10,
                messages: [{ role: 'user', content: 'hi' }],
              },
            },
          ],
        })
        .catch((e: unknown) => e);
      expectNotFound(outcome, expect.stringContaining('/v1/messages/batches'));
    });

    it('answers an unknown model with an Anthropic-shaped 404', async () => {
      const { client } = ctx();
      const outcome = await client.messages
        .create({
          model: 'gemini-0-nonexistent',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        })
        .catch((e: unknown) => e);
      expectNotFound(outcome, expect.any(String));
    });
  });
}
