/**
 * A Responses API request → a native Gemini `generateContent` request, plus what the response
 * echoes back. The gateway keeps no state: `previous_response_id`, `conversation` and `background`
 * are refused with a clear 400, `store` is accepted but nothing is kept, unknown fields are ignored.
 * Spec: https://platform.openai.com/docs/api-reference/responses/create
 */
import { cleanParameters, cleanSchema } from '../gemini/schema-clean.js';
import { thinkingForEffort, type ReasoningEffort } from '../gemini/thinking.js';
import type {
  Content,
  FunctionDeclaration,
  GenerateContentRequest,
  GenerationConfig,
  ToolConfig,
} from '../gemini/types.js';
import { TranslationError } from './errors.js';
import { historyFrom } from './history.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const SUMMARIES = new Set(['auto', 'concise', 'detailed']);
const ENCRYPTED_REASONING = 'reasoning.encrypted_content';

/** What the Responses object echoes from the request, and how to build its items. */
export interface RequestEcho {
  /** The model name the client sent (the response repeats it). */
  model: string;
  instructions: string | null;
  maxOutputTokens: number | null;
  temperature: number | null;
  topP: number | null;
  parallelToolCalls: boolean;
  toolChoice: unknown;
  tools: unknown[];
  store: boolean;
  reasoning: { effort: string | null; summary: string | null };
  textFormat: unknown;
  metadata: Record<string, string>;
  /** `include` asks for `reasoning.encrypted_content`. */
  includeEncrypted: boolean;
  /** Names of freeform (`custom`) tools, whose calls come back as `custom_tool_call` items. */
  customTools: ReadonlySet<string>;
}

export interface TranslatedRequest {
  gemini: GenerateContentRequest;
  stream: boolean;
  echo: RequestEcho;
}

function optionalNumber(body: Json, field: string, check: (n: number) => boolean): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new TranslationError(`'${field}' is out of range or not a number`, field);
  }
  return value;
}

function refuseState(body: Json): void {
  const stateful = ['previous_response_id', 'conversation'].find(
    (f) => body[f] !== undefined && body[f] !== null,
  );
  if (stateful) {
    throw new TranslationError(
      `'${stateful}' is not supported: this gateway stores no responses. Send the whole conversation in 'input' (store: false)`,
      stateful,
      'unsupported_parameter',
    );
  }
  if (body.background === true) {
    throw new TranslationError(
      "'background' is not supported: this gateway stores no responses",
      'background',
      'unsupported_parameter',
    );
  }
}

function declarations(tools: unknown): { functions: FunctionDeclaration[]; custom: Set<string> } {
  const functions: FunctionDeclaration[] = [];
  const custom = new Set<string>();
  if (tools === undefined || tools === null) return { functions, custom };
  if (!Array.isArray(tools)) throw new TranslationError("'tools' must be an array", 'tools');
  tools.forEach((tool, i) => {
    if (!isObject(tool)) throw new TranslationError('Each tool must be an object', `tools[${i}]`);
    if (tool.type !== 'function' && tool.type !== 'custom') return;
    if (typeof tool.name !== 'string' || tool.name === '') {
      throw new TranslationError("A tool needs a non-empty 'name'", `tools[${i}].name`);
    }
    const declaration: FunctionDeclaration = { name: tool.name };
    let description = typeof tool.description === 'string' ? tool.description : '';
    if (tool.type === 'function') {
      const parameters = cleanParameters(tool.parameters);
      if (parameters) declaration.parameters = parameters;
    } else {
      // A freeform tool takes raw text; Gemini only calls functions, so it gets one string argument.
      custom.add(tool.name);
      const format = isObject(tool.format) ? tool.format : null;
      if (format && typeof format.definition === 'string') {
        description += `\n\nThe input must follow this ${String(format.syntax ?? '')} grammar:\n${format.definition}`;
      }
      declaration.parameters = {
        type: 'object',
        properties: { input: { type: 'string', description: 'The raw input of the tool' } },
        required: ['input'],
      };
    }
    if (description) declaration.description = description;
    functions.push(declaration);
  });
  return { functions, custom };
}

/**
 * `tool_choice` → Gemini's calling mode. An `allowed_tools` list in `auto` mode keeps only those
 * declarations, since Gemini restricts names only in `ANY` mode.
 */
function toolConfig(
  choice: unknown,
  functions: FunctionDeclaration[],
): { config?: ToolConfig; only?: string[] } {
  if (choice === undefined || choice === null || choice === 'auto') return {};
  if (choice === 'none') return { config: { functionCallingConfig: { mode: 'NONE' } } };
  if (choice === 'required') return { config: { functionCallingConfig: { mode: 'ANY' } } };
  if (
    isObject(choice) &&
    (choice.type === 'function' || choice.type === 'custom') &&
    typeof choice.name === 'string'
  ) {
    return { config: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } } };
  }
  if (isObject(choice) && choice.type === 'allowed_tools' && Array.isArray(choice.tools)) {
    const names = choice.tools.flatMap((t) => (isObject(t) && typeof t.name === 'string' ? [t.name] : []));
    const known = names.filter((n) => functions.some((f) => f.name === n));
    if (known.length === 0) return { config: { functionCallingConfig: { mode: 'NONE' } } };
    if (choice.mode === 'required') {
      return { config: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: known } } };
    }
    return { only: known };
  }
  throw new TranslationError(
    "'tool_choice' must be 'auto', 'none', 'required' or name a function tool",
    'tool_choice',
  );
}

function thinking(body: Json, model: string, config: GenerationConfig): RequestEcho['reasoning'] {
  const reasoning = body.reasoning;
  if (reasoning === undefined || reasoning === null) return { effort: null, summary: null };
  if (!isObject(reasoning)) throw new TranslationError("'reasoning' must be an object", 'reasoning');
  const effort = reasoning.effort ?? null;
  if (effort !== null && (typeof effort !== 'string' || !EFFORTS.has(effort))) {
    throw new TranslationError(
      `'reasoning.effort' must be one of ${[...EFFORTS].join(', ')}`,
      'reasoning.effort',
    );
  }
  const rawSummary = reasoning.summary ?? reasoning.generate_summary ?? null;
  const summary = typeof rawSummary === 'string' && SUMMARIES.has(rawSummary) ? rawSummary : null;
  if (effort !== null)
    config.thinkingConfig = thinkingForEffort(model, effort as ReasoningEffort, summary !== null);
  else if (summary !== null) config.thinkingConfig = { includeThoughts: true };
  return { effort, summary };
}

function structuredOutput(text: unknown, config: GenerationConfig): unknown {
  if (!isObject(text) || !isObject(text.format)) return { type: 'text' };
  const format = text.format;
  if (format.type === 'json_schema') {
    if (!isObject(format.schema))
      throw new TranslationError("'text.format.schema' must be an object", 'text.format.schema');
    config.responseMimeType = 'application/json';
    config.responseSchema = cleanSchema(format.schema);
  } else if (format.type === 'json_object') {
    config.responseMimeType = 'application/json';
  }
  return format;
}

/** Translates a parsed request body; `geminiModel` is the model the request goes to upstream. */
export function translateRequest(body: Json, clientModel: string, geminiModel: string): TranslatedRequest {
  refuseState(body);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new TranslationError("'stream' must be a boolean", 'stream');
  }
  if (body.input === undefined || body.input === null)
    throw new TranslationError("'input' is required", 'input');
  if (
    body.instructions !== undefined &&
    body.instructions !== null &&
    typeof body.instructions !== 'string'
  ) {
    throw new TranslationError("'instructions' must be a string", 'instructions');
  }
  const instructions = typeof body.instructions === 'string' ? body.instructions : null;
  const history = historyFrom(body.input);
  if (!history.contents.some((c) => c.role === 'user')) {
    throw new TranslationError("'input' must hold at least one user message or tool output", 'input');
  }

  const config: GenerationConfig = {};
  const maxOutputTokens = optionalNumber(body, 'max_output_tokens', (n) => Number.isInteger(n) && n > 0);
  const temperature = optionalNumber(body, 'temperature', (n) => n >= 0 && n <= 2);
  const topP = optionalNumber(body, 'top_p', (n) => n >= 0 && n <= 1);
  if (maxOutputTokens !== null) config.maxOutputTokens = maxOutputTokens;
  if (temperature !== null) config.temperature = temperature;
  if (topP !== null) config.topP = topP;
  const reasoning = thinking(body, geminiModel, config);
  const textFormat = structuredOutput(body.text, config);

  const { functions, custom } = declarations(body.tools);
  const gemini: GenerateContentRequest = { contents: history.contents };
  const system = instructions !== null ? [instructions, ...history.system] : history.system;
  if (system.length > 0)
    gemini.systemInstruction = { parts: system.map((text) => ({ text })) } satisfies Content;
  if (functions.length > 0) {
    const { config: choice, only } = toolConfig(body.tool_choice, functions);
    const offered = only ? functions.filter((f) => only.includes(f.name)) : functions;
    gemini.tools = [{ functionDeclarations: offered }];
    if (choice) gemini.toolConfig = choice;
  }
  if (Object.keys(config).length > 0) gemini.generationConfig = config;

  const include = Array.isArray(body.include) ? body.include : [];
  return {
    gemini,
    stream: body.stream === true,
    echo: {
      model: clientModel,
      instructions,
      maxOutputTokens,
      temperature,
      topP,
      parallelToolCalls: body.parallel_tool_calls !== false,
      toolChoice: body.tool_choice ?? 'auto',
      tools: Array.isArray(body.tools) ? body.tools : [],
      store: body.store !== false,
      reasoning,
      textFormat,
      metadata: isObject(body.metadata) ? (body.metadata as Record<string, string>) : {},
      includeEncrypted: include.includes(ENCRYPTED_REASONING),
      customTools: custom,
    },
  };
}
