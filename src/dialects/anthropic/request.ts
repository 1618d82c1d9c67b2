/**
 * An Anthropic Messages request → a native Gemini `GenerateContentRequest`.
 * Anthropic: https://docs.anthropic.com/en/api/messages — Gemini: https://ai.google.dev/api/generate-content
 */
import { GatewayError } from '../../forward/gateway-error.js';
import { cleanParameters, cleanSchema } from '../gemini/schema-clean.js';
import { thinkingForBudget, thinkingForEffort, type ReasoningEffort } from '../gemini/thinking.js';
import type {
  Content,
  FunctionDeclaration,
  GenerateContentRequest,
  GenerationConfig,
  JsonObject,
  Part,
  ToolConfig,
} from '../gemini/types.js';
import { carriedSignature } from './signature.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string, param?: string): GatewayError {
  return new GatewayError(400, message, 'invalid_request_error', param ? { param } : {});
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** An image or PDF source: base64 goes inline; a URL goes as `fileData`, which Gemini fetches. */
function sourcePart(source: unknown, kind: 'image' | 'document', where: string): Part {
  if (!isObject(source)) throw invalid(`${where}.source must be an object`, where);
  if (source.type === 'base64') {
    if (typeof source.data !== 'string' || typeof source.media_type !== 'string') {
      throw invalid(`${where}.source needs media_type and data strings`, where);
    }
    return { inlineData: { mimeType: source.media_type, data: source.data } };
  }
  if (source.type === 'url' && typeof source.url === 'string') {
    const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(source.url)?.[1]?.toLowerCase() ?? '';
    const mimeType = kind === 'document' ? 'application/pdf' : (IMAGE_TYPES[ext] ?? 'image/jpeg');
    return { fileData: { mimeType, fileUri: source.url } };
  }
  if (kind === 'document' && source.type === 'text' && typeof source.data === 'string') {
    return { text: source.data };
  }
  throw invalid(`${where}.source.type ${JSON.stringify(source.type)} is not supported`, where);
}

/** A tool_result's content: its text (joined) and any images, which follow as their own parts. */
function toolResultParts(block: Json, name: string, where: string): Part[] {
  const content = block.content;
  const extra: Part[] = [];
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    content.forEach((item, i) => {
      if (!isObject(item)) return;
      if (item.type === 'text' && typeof item.text === 'string') text += (text ? '\n' : '') + item.text;
      else if (item.type === 'image' || item.type === 'document')
        extra.push(sourcePart(item.source, item.type, `${where}.content.${i}`));
    });
  }
  const response: JsonObject = block.is_error === true ? { error: text } : { content: text };
  return [{ functionResponse: { name, response } }, ...extra];
}

function contentBlocks(content: unknown, where: string): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content))
    throw invalid(`${where}.content must be a string or an array of blocks`, where);
  return content.filter(isObject);
}

const ROLES = new Set(['user', 'assistant', 'system']);

/**
 * The conversation as Gemini turns. Messages with role `system` (Claude Code sends them between
 * turns) have no place among Gemini's turns: their text joins the system instruction, in `system`.
 */
function translateMessages(messages: unknown, system: Part[]): Content[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalid('messages: at least one message is required', 'messages');
  }
  const toolNames = new Map<string, string>();
  const contents: Content[] = [];
  messages.forEach((message, i) => {
    const where = `messages.${i}`;
    if (!isObject(message) || !ROLES.has(message.role as string)) {
      throw invalid(`${where}.role must be "user", "assistant" or "system"`, where);
    }
    if (message.role === 'system') {
      system.push(...textParts(contentBlocks(message.content, where)));
      return;
    }
    const parts: Part[] = [];
    let signature: string | null = null;
    contentBlocks(message.content, where).forEach((block, j) => {
      const at = `${where}.content.${j}`;
      switch (block.type) {
        case 'text':
          if (typeof block.text === 'string' && block.text !== '') parts.push({ text: block.text });
          break;
        case 'image':
        case 'document':
          parts.push(sourcePart(block.source, block.type, at));
          break;
        case 'thinking':
          signature = carriedSignature(block.signature) ?? signature;
          break;
        case 'tool_use': {
          if (typeof block.id !== 'string' || typeof block.name !== 'string') {
            throw invalid(`${at}: tool_use needs id and name`, at);
          }
          toolNames.set(block.id, block.name);
          const args = isObject(block.input) ? (block.input as JsonObject) : {};
          const part: Part = { functionCall: { name: block.name, args } };
          // The signature of the thinking block just before is this call's (see signature.ts).
          if (signature !== null) part.thoughtSignature = signature;
          signature = null;
          parts.push(part);
          break;
        }
        case 'tool_result': {
          const name = typeof block.tool_use_id === 'string' ? toolNames.get(block.tool_use_id) : undefined;
          if (name === undefined) {
            throw invalid(`${at}: tool_result names no tool_use of an earlier assistant message`, at);
          }
          parts.push(...toolResultParts(block, name, at));
          break;
        }
        default:
        // redacted_thinking, server tool blocks and future types carry nothing Gemini can use.
      }
    });
    if (parts.length > 0) contents.push({ role: message.role === 'assistant' ? 'model' : 'user', parts });
  });
  return contents;
}

function textParts(blocks: Json[]): Part[] {
  const parts: Part[] = [];
  for (const block of blocks) {
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '')
      parts.push({ text: block.text });
  }
  return parts;
}

function functionDeclarations(tools: unknown): FunctionDeclaration[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw invalid('tools must be an array', 'tools');
  const out: FunctionDeclaration[] = [];
  tools.forEach((tool, i) => {
    if (!isObject(tool)) throw invalid(`tools.${i} must be an object`, 'tools');
    // Anthropic's server tools (web search, code execution…) have a versioned type; only custom tools map.
    if (tool.type !== undefined && tool.type !== 'custom') return;
    if (typeof tool.name !== 'string') throw invalid(`tools.${i}.name must be a string`, 'tools');
    const declaration: FunctionDeclaration = { name: tool.name };
    if (typeof tool.description === 'string') declaration.description = tool.description;
    const parameters = cleanParameters(tool.input_schema);
    if (parameters) declaration.parameters = parameters;
    out.push(declaration);
  });
  return out;
}

function toolConfig(choice: unknown): ToolConfig | undefined {
  if (choice === undefined) return undefined;
  if (!isObject(choice)) throw invalid('tool_choice must be an object', 'tool_choice');
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'any':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'tool':
      if (typeof choice.name !== 'string') throw invalid('tool_choice.name must be a string', 'tool_choice');
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
    default:
      throw invalid('tool_choice.type must be auto, any, tool or none', 'tool_choice');
  }
}

function numberField(body: Json, name: string, integer = false): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw invalid(`${name} must be ${integer ? 'an integer' : 'a number'}`, name);
  }
  return value;
}

/** Anthropic's efforts and the Gemini effort each asks for (`max` is Gemini's highest). */
const EFFORTS: Record<string, ReasoningEffort> = {
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'xhigh',
  max: 'xhigh',
};

/**
 * `output_config` (`effort`, and `format` for structured output; the older top-level `output_format`
 * is read too). A JSON schema format becomes Gemini's JSON response schema.
 */
function outputSettings(body: Json): { effort?: ReasoningEffort; schema?: Json } {
  const raw = body.output_config;
  if (raw !== undefined && raw !== null && !isObject(raw))
    throw invalid('output_config must be an object', 'output_config');
  const settings: { effort?: ReasoningEffort; schema?: Json } = {};
  const effort = raw?.effort;
  if (effort !== undefined && effort !== null) {
    if (typeof effort !== 'string' || !(effort in EFFORTS)) {
      throw invalid(
        `output_config.effort must be one of ${Object.keys(EFFORTS).join(', ')}`,
        'output_config.effort',
      );
    }
    settings.effort = EFFORTS[effort];
  }
  const [format, where] =
    raw?.format !== undefined && raw.format !== null
      ? [raw.format, 'output_config.format']
      : [body.output_format, 'output_format'];
  if (format !== undefined && format !== null) {
    if (!isObject(format) || format.type !== 'json_schema' || !isObject(format.schema)) {
      throw invalid(`${where} must be {"type": "json_schema", "schema": {...}}`, where);
    }
    settings.schema = format.schema;
  }
  return settings;
}

function generationConfig(body: Json, model: string): GenerationConfig | undefined {
  const config: GenerationConfig = {};
  const maxTokens = numberField(body, 'max_tokens', true);
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  const temperature = numberField(body, 'temperature');
  if (temperature !== undefined) config.temperature = temperature;
  const topP = numberField(body, 'top_p');
  if (topP !== undefined) config.topP = topP;
  const topK = numberField(body, 'top_k', true);
  if (topK !== undefined) config.topK = topK;
  const stop = body.stop_sequences;
  if (stop !== undefined) {
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) {
      throw invalid('stop_sequences must be an array of strings', 'stop_sequences');
    }
    if (stop.length > 0) config.stopSequences = stop;
  }
  const outputConfig = outputSettings(body);
  const thinking = body.thinking;
  const effort = outputConfig.effort;
  if (isObject(thinking) && thinking.type === 'enabled') {
    const budget = typeof thinking.budget_tokens === 'number' ? thinking.budget_tokens : 1024;
    config.thinkingConfig = thinkingForBudget(model, budget, true);
  } else if (isObject(thinking) && thinking.type === 'disabled') {
    config.thinkingConfig = thinkingForBudget(model, 0, false);
  } else if (effort) {
    // Effort alone sets how much the model thinks; thought summaries only when thinking is on.
    config.thinkingConfig = thinkingForEffort(
      model,
      effort,
      isObject(thinking) && thinking.type === 'adaptive',
    );
  } else if (isObject(thinking) && thinking.type === 'adaptive') {
    config.thinkingConfig = { includeThoughts: true };
  }
  if (outputConfig.schema) {
    config.responseMimeType = 'application/json';
    config.responseSchema = cleanSchema(outputConfig.schema);
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

/**
 * The Gemini request for a Messages body (`metadata`, `service_tier`, `cache_control` and other
 * fields Gemini has no use for are ignored). `model` is the Gemini model that will answer.
 */
export function messagesToGemini(body: Json, model: string): GenerateContentRequest {
  const system =
    body.system === undefined || body.system === null ? [] : textParts(contentBlocks(body.system, 'system'));
  const request: GenerateContentRequest = { contents: translateMessages(body.messages, system) };
  if (system.length > 0) request.systemInstruction = { parts: system };
  const declarations = functionDeclarations(body.tools);
  if (declarations.length > 0) {
    request.tools = [{ functionDeclarations: declarations }];
    const config = toolConfig(body.tool_choice);
    if (config) request.toolConfig = config;
  }
  const generation = generationConfig(body, model);
  if (generation) request.generationConfig = generation;
  return request;
}

/** The `countTokens` body for a count_tokens request: the same translation, wrapped with its model. */
export function countTokensToGemini(body: Json, model: string): Json {
  const { generationConfig: _ignored, ...request } = messagesToGemini(body, model);
  return { generateContentRequest: { model: `models/${model}`, ...request } };
}
