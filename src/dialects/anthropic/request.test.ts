import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../forward/gateway-error.js';
import { countTokensToGemini, messagesToGemini } from './request.js';
import { carrySignature } from './signature.js';

describe('messagesToGemini (golden)', () => {
  it('translates system, every block kind, tools, tool_choice and sampling settings', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'ignored' },
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather',
          input_schema: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
        { type: 'web_search_20250305', name: 'web_search' },
      ],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.webp' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: carrySignature('SIG1') },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '20C' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              is_error: true,
              content: [{ type: 'text', text: 'no data' }],
            },
          ],
        },
      ],
    };
    expect(messagesToGemini(body, 'gemini-2.5-pro')).toEqual({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Look:' },
            { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
            { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp' } },
            { inlineData: { mimeType: 'application/pdf', data: 'JVBER' } },
          ],
        },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG1' },
            { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { content: '20C' } } },
            { functionResponse: { name: 'get_weather', response: { error: 'no data' } } },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: {
        maxOutputTokens: 1024,
        temperature: 0.5,
        topP: 0.9,
        topK: 40,
        stopSequences: ['END'],
      },
    });
  });

  it('maps thinking and tool_choice auto/any/none', () => {
    const base = { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const tools = [{ name: 'f', input_schema: { type: 'object', properties: { a: { type: 'string' } } } }];
    const thinking = (t: unknown, model: string) =>
      messagesToGemini({ ...base, thinking: t }, model).generationConfig?.thinkingConfig;
    expect(thinking({ type: 'enabled', budget_tokens: 2048 }, 'gemini-2.5-flash')).toEqual({
      thinkingBudget: 2048,
      includeThoughts: true,
    });
    expect(thinking({ type: 'disabled' }, 'gemini-2.5-flash')).toEqual({ thinkingBudget: 0 });
    expect(thinking({ type: 'enabled', budget_tokens: 16000 }, 'gemini-3-flash-preview')).toEqual({
      thinkingLevel: 'high',
      includeThoughts: true,
    });
    const mode = (choice: unknown) =>
      messagesToGemini({ ...base, tools, tool_choice: choice }, 'gemini-2.5-flash').toolConfig;
    expect(mode({ type: 'auto' })).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(mode({ type: 'any' })).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(mode({ type: 'none' })).toEqual({ functionCallingConfig: { mode: 'NONE' } });
  });

  it('maps output_config effort and JSON schema format, and refuses bad ones', () => {
    const base = { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const config = (extra: Record<string, unknown>, model = 'gemini-2.5-flash') =>
      messagesToGemini({ ...base, ...extra }, model).generationConfig;
    expect(config({ output_config: { effort: 'low' } })?.thinkingConfig).toEqual({ thinkingBudget: 1024 });
    expect(config({ output_config: { effort: 'max' } }, 'gemini-3-pro-preview')?.thinkingConfig).toEqual({
      thinkingLevel: 'high',
    });
    // Adaptive thinking with an effort: that much thinking, with summaries.
    expect(
      config({ thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } })?.thinkingConfig,
    ).toEqual({ thinkingBudget: 8192, includeThoughts: true });
    // An explicit budget or disabled thinking wins over the effort.
    expect(
      config({ thinking: { type: 'disabled' }, output_config: { effort: 'high' } })?.thinkingConfig,
    ).toEqual({ thinkingBudget: 0 });
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false };
    for (const extra of [
      { output_config: { format: { type: 'json_schema', schema } } },
      { output_format: { type: 'json_schema', schema } },
    ]) {
      expect(config(extra)).toEqual({
        maxOutputTokens: 10,
        responseMimeType: 'application/json',
        responseSchema: { type: 'object', properties: { n: { type: 'integer' } } },
      });
    }
    const refused = (extra: Record<string, unknown>) => {
      try {
        config(extra);
      } catch (err) {
        const refusal = err as GatewayError;
        return [refusal.status, refusal.options.param];
      }
      return 'accepted';
    };
    expect(refused({ output_config: { effort: 'extreme' } })).toEqual([400, 'output_config.effort']);
    expect(refused({ output_config: 'high' })).toEqual([400, 'output_config']);
    expect(refused({ output_config: { format: { type: 'text' } } })).toEqual([400, 'output_config.format']);
  });

  it('drops signatures that are not the gateway’s, and thinking text', () => {
    const out = messagesToGemini(
      {
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'x', signature: 'EqQBCkYIBxgCKkD-claude' },
              { type: 'tool_use', id: 't1', name: 'f', input: {} },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
        ],
      },
      'gemini-2.5-flash',
    );
    expect(out.contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] });
  });

  it('refuses malformed requests with a 400 naming the field', () => {
    const refused = (body: Record<string, unknown>): GatewayError => {
      try {
        messagesToGemini(body, 'gemini-2.5-flash');
      } catch (err) {
        return err as GatewayError;
      }
      throw new Error('accepted');
    };
    expect(refused({ messages: [] }).status).toBe(400);
    expect(refused({ messages: [{ role: 'tool', content: 'x' }] }).message).toContain('messages.0.role');
    expect(
      refused({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope' }] }] })
        .message,
    ).toContain('tool_result');
    expect(refused({ messages: [{ role: 'user', content: 'x' }], max_tokens: 'many' }).message).toContain(
      'max_tokens',
    );
  });

  it('moves system-role messages into the system instruction, after system', () => {
    const out = messagesToGemini(
      {
        system: 'S1',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'S2' },
        ],
      },
      'gemini-2.5-flash',
    );
    expect(out.systemInstruction).toEqual({ parts: [{ text: 'S1' }, { text: 'S2' }] });
    expect(out.contents).toEqual([{ role: 'user', parts: [{ text: 'hi' }] }]);
  });

  it('wraps a count_tokens body for Gemini countTokens', () => {
    expect(
      countTokensToGemini({ system: 'S', messages: [{ role: 'user', content: 'hi' }] }, 'gemini-2.5-flash'),
    ).toEqual({
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        systemInstruction: { parts: [{ text: 'S' }] },
      },
    });
  });
});
