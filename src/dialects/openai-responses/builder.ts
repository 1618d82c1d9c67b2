/**
 * Builds a Responses object from Gemini's answer, one `GenerateContentResponse` at a time, and, for
 * a stream, emits the typed events the official SDK's `responses.stream()` consumes, in its order:
 * `response.created`, `response.in_progress`, then per output item `output_item.added`, its parts
 * and deltas, `output_item.done`, and finally `response.completed`, `.incomplete` or `.failed`.
 * Spec: https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { promptBlockReason, stopKind, usageCounts } from '../gemini/outcome.js';
import type { FinishReason, GenerateContentResponse, Part, UsageMetadata } from '../gemini/types.js';
import type { RequestEcho } from './request.js';
import { callIdWithSignature, encryptedContentFor } from './signatures.js';
import type {
  MessageItem,
  OutputItem,
  ReasoningItem,
  ResponseObject,
  ResponseStatus,
  ResponsesEvent,
  ResponsesUsage,
} from './types.js';

export interface BuildContext {
  /** `resp_…` */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  echo: RequestEcho;
  /** A fresh id with the given prefix (`msg`, `rs`, `fc`, `call`). */
  newId: (prefix: string) => string;
}

type Open =
  | { kind: 'message'; index: number; item: MessageItem }
  | { kind: 'reasoning'; index: number; item: ReasoningItem };

export class ResponseBuilder {
  readonly #ctx: BuildContext;
  readonly #emit: ((event: ResponsesEvent) => void) | null;
  readonly #output: OutputItem[] = [];
  #open: Open | null = null;
  #openText = '';
  #outputText = '';
  /** The first signature on a text or thought part: carried in a trailing reasoning item. */
  #textSignature: string | undefined;
  #finishReason: FinishReason | undefined;
  #sawCall = false;
  #blocked: string | null = null;
  #usage: UsageMetadata | undefined;
  #done = false;

  /** `emit`: receives stream events (null builds only the final object). */
  constructor(ctx: BuildContext, emit: ((event: ResponsesEvent) => void) | null = null) {
    this.#ctx = ctx;
    this.#emit = emit;
  }

  /** Emits `response.created` and `response.in_progress`. */
  start(): void {
    if (!this.#emit) return;
    this.#emit({ type: 'response.created', response: this.snapshot('in_progress') });
    this.#emit({ type: 'response.in_progress', response: this.snapshot('in_progress') });
  }

  add(response: GenerateContentResponse): void {
    if (response.usageMetadata) this.#usage = response.usageMetadata;
    this.#blocked ??= promptBlockReason(response);
    const candidate = response.candidates?.[0];
    if (!candidate) return;
    for (const part of candidate.content?.parts ?? []) this.#part(part);
    if (candidate.finishReason) this.#finishReason = candidate.finishReason;
  }

  /** Closes what is open and emits the final event; returns the finished object. */
  finish(): ResponseObject {
    this.#closeOpen();
    if (this.#textSignature !== undefined && this.#ctx.echo.includeEncrypted) {
      const item: ReasoningItem = {
        type: 'reasoning',
        id: this.#ctx.newId('rs'),
        summary: [],
        encrypted_content: encryptedContentFor(this.#textSignature),
      };
      this.#addItem(item);
      this.#itemDone(this.#output.length - 1, item);
    }
    const kind = this.#blocked ? 'content_filter' : stopKind(this.#finishReason, this.#sawCall);
    if (kind === 'error') {
      return this.fail(`Gemini ended the answer with finish reason ${String(this.#finishReason)}`);
    }
    const incomplete = kind === 'max_tokens' || kind === 'content_filter';
    const response = this.snapshot(incomplete ? 'incomplete' : 'completed');
    if (incomplete)
      response.incomplete_details = {
        reason: kind === 'max_tokens' ? 'max_output_tokens' : 'content_filter',
      };
    this.#end(incomplete ? 'response.incomplete' : 'response.completed', response);
    return response;
  }

  /** Ends the response as failed (an upstream error inside the stream, a broken stream). */
  fail(message: string, code = 'server_error'): ResponseObject {
    this.#closeOpen();
    const response = this.snapshot('failed');
    response.error = { code, message };
    this.#end('response.failed', response);
    return response;
  }

  get finished(): boolean {
    return this.#done;
  }

  /** Gemini said how the answer ended (a finish reason, or a blocked prompt). */
  get complete(): boolean {
    return this.#finishReason !== undefined || this.#blocked !== null;
  }

  snapshot(status: ResponseStatus): ResponseObject {
    const { echo } = this.#ctx;
    const final = status !== 'in_progress';
    return {
      id: this.#ctx.id,
      object: 'response',
      created_at: this.#ctx.createdAt,
      status,
      completed_at: null,
      error: null,
      incomplete_details: null,
      instructions: echo.instructions,
      max_output_tokens: echo.maxOutputTokens,
      model: echo.model,
      output: final ? this.#output : [],
      output_text: final ? this.#outputText : '',
      parallel_tool_calls: echo.parallelToolCalls,
      previous_response_id: null,
      reasoning: echo.reasoning,
      store: echo.store,
      temperature: echo.temperature,
      text: { format: echo.textFormat },
      tool_choice: echo.toolChoice,
      tools: echo.tools,
      top_p: echo.topP,
      truncation: 'disabled',
      usage: final ? responsesUsage(this.#usage) : null,
      metadata: echo.metadata,
    };
  }

  #end(type: string, response: ResponseObject): void {
    this.#done = true;
    this.#emit?.({ type, response });
  }

  #part(part: Part): void {
    if (part.functionCall) return this.#call(part);
    if (part.thoughtSignature !== undefined) this.#textSignature ??= part.thoughtSignature;
    if (typeof part.text !== 'string' || part.text === '') return;
    if (part.thought === true) this.#reasoningText(part.text);
    else this.#messageText(part.text);
  }

  #reasoningText(text: string): void {
    let open = this.#open;
    if (open?.kind !== 'reasoning') {
      this.#closeOpen();
      const item: ReasoningItem = { type: 'reasoning', id: this.#ctx.newId('rs'), summary: [] };
      open = this.#open = { kind: 'reasoning', index: this.#addItem(item), item };
      this.#emit?.({
        type: 'response.reasoning_summary_part.added',
        item_id: item.id,
        output_index: open.index,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    }
    this.#openText += text;
    this.#emit?.({
      type: 'response.reasoning_summary_text.delta',
      item_id: open.item.id,
      output_index: open.index,
      summary_index: 0,
      delta: text,
    });
  }

  #messageText(text: string): void {
    let open = this.#open;
    if (open?.kind !== 'message') {
      this.#closeOpen();
      const item: MessageItem = {
        type: 'message',
        id: this.#ctx.newId('msg'),
        role: 'assistant',
        status: 'in_progress',
        content: [],
      };
      open = this.#open = { kind: 'message', index: this.#addItem(item), item };
      this.#emit?.({
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: open.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
    }
    this.#openText += text;
    this.#outputText += text;
    this.#emit?.({
      type: 'response.output_text.delta',
      item_id: open.item.id,
      output_index: open.index,
      content_index: 0,
      delta: text,
      logprobs: [],
    });
  }

  #call(part: Part): void {
    this.#closeOpen();
    this.#sawCall = true;
    const call = part.functionCall!;
    const callId = callIdWithSignature(call.id ?? this.#ctx.newId('call'), part.thoughtSignature);
    const id = this.#ctx.newId('fc');
    if (this.#ctx.echo.customTools.has(call.name)) {
      const input = typeof call.args?.input === 'string' ? call.args.input : JSON.stringify(call.args ?? {});
      const index = this.#addItem({
        type: 'custom_tool_call',
        id,
        call_id: callId,
        name: call.name,
        input: '',
        status: 'in_progress',
      });
      this.#emit?.({
        type: 'response.custom_tool_call_input.delta',
        item_id: id,
        output_index: index,
        delta: input,
      });
      this.#emit?.({ type: 'response.custom_tool_call_input.done', item_id: id, output_index: index, input });
      const item: OutputItem = {
        type: 'custom_tool_call',
        id,
        call_id: callId,
        name: call.name,
        input,
        status: 'completed',
      };
      this.#output[index] = item;
      return this.#itemDone(index, item);
    }
    const args = JSON.stringify(call.args ?? {});
    const index = this.#addItem({
      type: 'function_call',
      id,
      call_id: callId,
      name: call.name,
      arguments: '',
      status: 'in_progress',
    });
    this.#emit?.({
      type: 'response.function_call_arguments.delta',
      item_id: id,
      output_index: index,
      delta: args,
    });
    this.#emit?.({
      type: 'response.function_call_arguments.done',
      item_id: id,
      output_index: index,
      name: call.name,
      arguments: args,
    });
    const item: OutputItem = {
      type: 'function_call',
      id,
      call_id: callId,
      name: call.name,
      arguments: args,
      status: 'completed',
    };
    this.#output[index] = item;
    this.#itemDone(index, item);
  }

  /** Appends an item (a copy is announced, so later changes to it do not leak into the event). */
  #addItem(item: OutputItem): number {
    const index = this.#output.push(item) - 1;
    this.#emit?.({ type: 'response.output_item.added', output_index: index, item: { ...item } });
    return index;
  }

  #itemDone(index: number, item: OutputItem): void {
    this.#emit?.({ type: 'response.output_item.done', output_index: index, item });
  }

  #closeOpen(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    const text = this.#openText;
    this.#openText = '';
    const base = { item_id: open.item.id, output_index: open.index };
    if (open.kind === 'message') {
      const part = { type: 'output_text' as const, text, annotations: [], logprobs: [] };
      this.#emit?.({ type: 'response.output_text.done', ...base, content_index: 0, text, logprobs: [] });
      this.#emit?.({ type: 'response.content_part.done', ...base, content_index: 0, part });
      open.item.content = [part];
      open.item.status = 'completed';
    } else {
      const part = { type: 'summary_text' as const, text };
      this.#emit?.({ type: 'response.reasoning_summary_text.done', ...base, summary_index: 0, text });
      this.#emit?.({ type: 'response.reasoning_summary_part.done', ...base, summary_index: 0, part });
      open.item.summary = [part];
    }
    this.#itemDone(open.index, open.item);
  }
}

export function responsesUsage(meta: UsageMetadata | undefined): ResponsesUsage {
  const u = usageCounts(meta);
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens, cache_write_tokens: 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
}
