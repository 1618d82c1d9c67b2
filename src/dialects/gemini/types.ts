/**
 * The native Gemini request and response shapes the translating dialects build and read: only the
 * fields they use, typed as they travel on the wire (camelCase JSON).
 * Spec: https://ai.google.dev/api/generate-content and https://ai.google.dev/api/caching#Content
 */

/** Any JSON value, for fields passed through untouched (function arguments, schemas). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface InlineData {
  mimeType: string;
  /** Base64, without a `data:` prefix. */
  data: string;
}

export interface FileData {
  mimeType?: string;
  fileUri: string;
}

export interface FunctionCall {
  /** Gemini 3 gives calls an id; older models leave it out. */
  id?: string;
  name: string;
  args?: JsonObject;
}

export interface FunctionResponse {
  id?: string;
  name: string;
  response: JsonObject;
}

/**
 * One part of a turn. `thought: true` marks a thought summary; `thoughtSignature` is the opaque
 * signature Gemini 3 needs back on the first `functionCall` part of a model turn it is replayed.
 */
export interface Part {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: InlineData;
  fileData?: FileData;
  functionCall?: FunctionCall;
  functionResponse?: FunctionResponse;
}

export interface Content {
  role?: 'user' | 'model';
  parts: Part[];
}

export interface ThinkingConfig {
  includeThoughts?: boolean;
  /** Gemini 2.5: tokens, 0 turns thinking off where the model allows it, -1 lets the model choose. */
  thinkingBudget?: number;
  /** Gemini 3: `minimal` | `low` | `medium` | `high`. */
  thinkingLevel?: 'minimal' | 'low' | 'medium' | 'high';
}

export interface GenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  responseMimeType?: string;
  /** The OpenAPI-subset schema (see `cleanSchema`). */
  responseSchema?: JsonObject;
  /** Plain JSON Schema; exclusive with `responseSchema`. */
  responseJsonSchema?: JsonObject;
  thinkingConfig?: ThinkingConfig;
}

export interface FunctionDeclaration {
  name: string;
  description?: string;
  /** The OpenAPI-subset schema (see `cleanSchema`). */
  parameters?: JsonObject;
}

export interface Tool {
  functionDeclarations?: FunctionDeclaration[];
}

export interface ToolConfig {
  functionCallingConfig: {
    mode: 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';
    allowedFunctionNames?: string[];
  };
}

export interface GenerateContentRequest {
  contents: Content[];
  systemInstruction?: Content;
  tools?: Tool[];
  toolConfig?: ToolConfig;
  generationConfig?: GenerationConfig;
  cachedContent?: string;
}

/** Documented values; Google adds more over time, so readers must accept any string. */
export type FinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'UNEXPECTED_TOOL_CALL'
  | 'TOO_MANY_TOOL_CALLS'
  | (string & {});

export interface Candidate {
  content?: Partial<Content>;
  finishReason?: FinishReason;
  finishMessage?: string;
  index?: number;
}

/** Cumulative in every streamed chunk: always read the last one. */
export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface PromptFeedback {
  blockReason?: string;
}

export interface GenerateContentResponse {
  candidates?: Candidate[];
  promptFeedback?: PromptFeedback;
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** Google's error envelope, as it can also arrive inside a stream. */
export interface GeminiErrorBody {
  error: { code?: number; message?: string; status?: string; details?: unknown[] };
}
