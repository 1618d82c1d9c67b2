/** Shared steps of the Responses API tests on both runtimes (Node and Workers). */
import type OpenAI from 'openai';
import type {
  FunctionTool,
  Response,
  ResponseFunctionToolCall,
  ResponseInputItem,
} from 'openai/resources/responses/responses';

export const WEATHER_TOOL: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  strict: false,
  parameters: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

/** The event types `responses.stream()` sees for a text answer, repeats collapsed. */
export const SDK_STREAM_ORDER = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.completed',
];

/**
 * One tool round trip as a `store: false` client runs it: ask, get function calls, replay the
 * output items unchanged with an output per call, get the answer.
 */
export async function functionCallLoop(
  client: OpenAI,
  model: string,
  stream: boolean,
): Promise<{ calls: ResponseFunctionToolCall[]; final: Response }> {
  const input: ResponseInputItem[] = [{ role: 'user', content: 'What is the weather in Paris and London?' }];
  const ask = async (): Promise<Response> => {
    const params = { model, input, tools: [WEATHER_TOOL], store: false };
    return stream ? client.responses.stream(params).finalResponse() : client.responses.create(params);
  };
  const first = await ask();
  const calls = first.output.filter(
    (item): item is ResponseFunctionToolCall => item.type === 'function_call',
  );
  input.push(...(first.output as ResponseInputItem[]));
  for (const call of calls)
    input.push({ type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' });
  const final = await ask();
  return { calls, final };
}
