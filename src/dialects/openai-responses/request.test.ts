import { describe, expect, it } from 'vitest';
import { TranslationError } from './errors.js';
import { translateRequest } from './request.js';

const MODEL = 'gemini-3-flash-preview';

describe('translateRequest: golden', () => {
  it('maps a Codex-style request to a native Gemini request', () => {
    const body = {
      model: 'gpt-5-codex',
      instructions: 'You are a coding agent.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List files' }] },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [],
          encrypted_content: 'gkp1.U0lHLVRFWFQ=',
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Running ls.' }] },
        {
          type: 'function_call',
          call_id: 'call_1.ts.U0lHLUNBTEw=',
          name: 'shell',
          arguments: '{"command":["ls"]}',
        },
        { type: 'function_call_output', call_id: 'call_1.ts.U0lHLUNBTEw=', output: 'a.txt\nb.txt' },
      ],
      tools: [
        {
          type: 'function',
          name: 'shell',
          description: 'Runs a command',
          strict: false,
          parameters: {
            type: 'object',
            properties: { command: { type: 'array', items: { type: 'string' } } },
            required: ['command'],
            additionalProperties: false,
          },
        },
        { type: 'web_search' },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'abc',
      max_output_tokens: 4096,
      some_future_field: { anything: true },
    };
    const out = translateRequest(body, 'gpt-5-codex', MODEL);
    expect(out.stream).toBe(true);
    expect(out.gemini).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'List files' }] },
        {
          role: 'model',
          parts: [
            { text: 'Running ls.', thoughtSignature: 'U0lHLVRFWFQ=' },
            {
              functionCall: { id: 'call_1', name: 'shell', args: { command: ['ls'] } },
              thoughtSignature: 'U0lHLUNBTEw=',
            },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'call_1', name: 'shell', response: { output: 'a.txt\nb.txt' } } },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: 'You are a coding agent.' }, { text: '<permissions>' }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: 'shell',
              description: 'Runs a command',
              parameters: {
                type: 'object',
                properties: { command: { type: 'array', items: { type: 'string' } } },
                required: ['command'],
              },
            },
          ],
        },
      ],
      generationConfig: {
        maxOutputTokens: 4096,
        thinkingConfig: { thinkingLevel: 'high', includeThoughts: true },
      },
    });
    expect(out.echo.includeEncrypted).toBe(true);
    expect(out.echo.store).toBe(false);
    expect(out.echo.parallelToolCalls).toBe(false);
  });

  it('maps a string input, sampling, images, files and structured output', () => {
    const out = translateRequest(
      {
        model: 'gemini-2.5-flash',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Describe' },
              { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
              { type: 'input_image', image_url: 'https://example.com/cat.jpg' },
              { type: 'input_file', filename: 'doc.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
            ],
          },
        ],
        temperature: 0.2,
        top_p: 0.9,
        text: {
          format: {
            type: 'json_schema',
            name: 'answer',
            strict: true,
            schema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
          },
        },
      },
      'gemini-2.5-flash',
      'gemini-2.5-flash',
    );
    expect(out.gemini.contents[0]!.parts).toEqual([
      { text: 'Describe' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { fileData: { fileUri: 'https://example.com/cat.jpg' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
    expect(out.gemini.generationConfig).toEqual({
      temperature: 0.2,
      topP: 0.9,
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { a: { type: 'string' } } },
    });
    expect(out.stream).toBe(false);
    expect(translateRequest({ input: 'Hi' }, 'm', MODEL).gemini).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
    });
  });

  it('maps tool_choice and freeform tools', () => {
    const tools = [
      { type: 'function', name: 'a', parameters: { type: 'object', properties: {} } },
      {
        type: 'custom',
        name: 'apply_patch',
        description: 'Patch',
        format: { type: 'grammar', syntax: 'lark', definition: 'start: x' },
      },
    ];
    const pick = (tool_choice: unknown) =>
      translateRequest({ input: 'x', tools, tool_choice }, 'm', MODEL).gemini;
    expect(pick('required').toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(pick('none').toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(pick({ type: 'function', name: 'a' }).toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a'] },
    });
    const allowed = pick({ type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'a' }] });
    expect(allowed.toolConfig).toBeUndefined();
    expect(allowed.tools![0]!.functionDeclarations!.map((f) => f.name)).toEqual(['a']);
    const all = pick('auto').tools![0]!.functionDeclarations!;
    expect(all[0]).toEqual({ name: 'a' });
    expect(all[1]!.description).toContain('lark grammar:\nstart: x');
    expect(all[1]!.parameters).toEqual({
      type: 'object',
      properties: { input: { type: 'string', description: 'The raw input of the tool' } },
      required: ['input'],
    });
  });

  it('replays a freeform tool call and its output', () => {
    const out = translateRequest(
      {
        input: [
          { role: 'user', content: 'patch it' },
          { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
          { type: 'custom_tool_call_output', call_id: 'c1', output: 'Done' },
        ],
        tools: [{ type: 'custom', name: 'apply_patch' }],
      },
      'm',
      MODEL,
    );
    expect(out.gemini.contents.slice(1)).toEqual([
      {
        role: 'model',
        parts: [{ functionCall: { id: 'c1', name: 'apply_patch', args: { input: '*** Begin Patch' } } }],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { id: 'c1', name: 'apply_patch', response: { output: 'Done' } } }],
      },
    ]);
    expect(out.echo.customTools.has('apply_patch')).toBe(true);
  });
});

describe('translateRequest: refusals', () => {
  const refuse = (body: Record<string, unknown>) => {
    try {
      translateRequest(body, 'm', MODEL);
    } catch (err) {
      expect(err).toBeInstanceOf(TranslationError);
      return err as TranslationError;
    }
    throw new Error('expected a refusal');
  };

  it('refuses state it cannot keep, with a clear message', () => {
    const err = refuse({ input: 'x', previous_response_id: 'resp_1' });
    expect(err.param).toBe('previous_response_id');
    expect(err.message).toContain('stores no responses');
    expect(refuse({ input: 'x', conversation: 'conv_1' }).param).toBe('conversation');
    expect(refuse({ input: 'x', background: true }).param).toBe('background');
    expect(refuse({ input: [{ type: 'item_reference', id: 'msg_1' }] }).param).toBe('input[0].type');
  });

  it('refuses malformed input with the offending param', () => {
    expect(refuse({}).param).toBe('input');
    expect(refuse({ input: 'x', stream: 'yes' }).param).toBe('stream');
    expect(refuse({ input: 'x', max_output_tokens: -1 }).param).toBe('max_output_tokens');
    expect(refuse({ input: 'x', reasoning: { effort: 'huge' } }).param).toBe('reasoning.effort');
    expect(
      refuse({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }).param,
    ).toBe('input[0].content[0].image_url');
    expect(
      refuse({
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call', call_id: 'c', name: 'f', arguments: '{bad' },
        ],
      }).param,
    ).toBe('input[1].arguments');
    expect(refuse({ input: [{ type: 'function_call_output', call_id: 'zz', output: 'x' }] }).param).toBe(
      'input[0].call_id',
    );
    expect(refuse({ input: [{ role: 'assistant', content: 'only me' }] }).param).toBe('input');
  });

  it('accepts store: true (nothing is kept) and ignores unknown fields', () => {
    const out = translateRequest(
      { input: 'x', store: true, truncation: 'auto', user: 'u', service_tier: 'flex' },
      'm',
      MODEL,
    );
    expect(out.echo.store).toBe(true);
  });
});
