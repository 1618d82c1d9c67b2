/**
 * Gemini's `streamGenerateContent?alt=sse` → Anthropic's event stream: `message_start`, `ping`,
 * then each block's `content_block_start` / `content_block_delta`… / `content_block_stop`, then
 * `message_delta` (stop reason, usage) and `message_stop`. An error inside the upstream stream, or
 * an upstream that ends before its finish reason, ends the stream with an `error` event.
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import type { Tokens } from '../../core/types.js';
import type { StreamProblem } from '../../core/usage/openai-stream-tap.js';
import { usageMetadataTokens } from '../../core/usage/tokens.js';
import type { StreamFormat, StreamTap } from '../../forward/dialect.js';
import { promptBlockReason } from '../gemini/outcome.js';
import { GeminiSseReader, type GeminiStreamItem } from '../gemini/sse-reader.js';
import type { FinishReason, UsageMetadata } from '../gemini/types.js';
import { PartsToBlocks, type BlockDelta, type BlockSink, type ContentBlockStart } from './blocks.js';
import { anthropicErrorType } from './errors.js';
import { anthropicUsage, stopReason } from './outcome.js';
import { messageId } from './response.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function event(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The `error` event that ends a stream; `status` picks its type as a response would. */
export function errorEvent(status: number, message: string): string {
  return event('error', { type: 'error', error: { type: anthropicErrorType(status), message } });
}

export class AnthropicStreamTap implements StreamTap, BlockSink {
  readonly #model: string;
  readonly #reader = new GeminiSseReader();
  #out = '';
  #blocks: PartsToBlocks | null = null;
  #usage: UsageMetadata | undefined;
  #finishReason: FinishReason | undefined;
  #blocked = false;
  #done = false;
  problem: StreamProblem | null = null;

  /** `model`: the name the client asked for. */
  constructor(model: string) {
    this.#model = model;
  }

  get usage(): Tokens | null {
    return usageMetadataTokens(this.#usage);
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.#done) return EMPTY;
    let items: GeminiStreamItem[];
    try {
      items = this.#reader.push(chunk);
    } catch (err) {
      this.#fail(502, String(err));
      return this.#flush();
    }
    for (const item of items) this.#take(item);
    return this.#flush();
  }

  end(): Uint8Array {
    if (!this.#done) {
      for (const item of this.#reader.end()) this.#take(item);
    }
    if (!this.#done) {
      if (this.#finishReason === undefined && !this.#blocked) {
        this.problem = 'unterminated';
        this.#fail(502, 'Upstream stream ended before the response was complete');
      } else {
        this.#finish();
      }
    }
    return this.#flush();
  }

  start(index: number, block: ContentBlockStart): void {
    this.#out += event('content_block_start', { type: 'content_block_start', index, content_block: block });
  }

  delta(index: number, delta: BlockDelta): void {
    this.#out += event('content_block_delta', { type: 'content_block_delta', index, delta });
  }

  stop(index: number): void {
    this.#out += event('content_block_stop', { type: 'content_block_stop', index });
  }

  #take(item: GeminiStreamItem): void {
    if (this.#done) return;
    if (item.kind === 'error') {
      this.problem = { error: item.error };
      this.#fail(item.error.code ?? 500, item.error.message ?? 'Upstream stream failed');
      return;
    }
    if (item.kind === 'invalid') {
      this.problem = { error: { code: 502, message: 'invalid stream event' } };
      this.#fail(502, 'Upstream sent an invalid stream event');
      return;
    }
    const response = item.response;
    if (response.usageMetadata) this.#usage = response.usageMetadata;
    const blocks = this.#begin(response.responseId);
    const candidate = response.candidates?.[0];
    if (!candidate && promptBlockReason(response) !== null) this.#blocked = true;
    for (const part of candidate?.content?.parts ?? []) blocks.push(part);
    if (candidate?.finishReason) this.#finishReason = candidate.finishReason;
  }

  #begin(responseId: string | undefined): PartsToBlocks {
    if (this.#blocks) return this.#blocks;
    this.#blocks = new PartsToBlocks(this, responseId ?? '');
    const message = {
      id: messageId(responseId),
      type: 'message',
      role: 'assistant',
      model: this.#model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...anthropicUsage(this.#usage), output_tokens: 0 },
    };
    this.#out += event('message_start', { type: 'message_start', message });
    this.#out += event('ping', { type: 'ping' });
    return this.#blocks;
  }

  #finish(): void {
    const blocks = this.#begin(undefined);
    blocks.close();
    const stop_reason = stopReason(this.#finishReason, blocks.sawCall, this.#blocked);
    this.#out += event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason, stop_sequence: null },
      usage: anthropicUsage(this.#usage),
    });
    this.#out += event('message_stop', { type: 'message_stop' });
    this.#done = true;
  }

  #fail(status: number, message: string): void {
    this.#begin(undefined);
    this.#out += errorEvent(status, message);
    this.#done = true;
  }

  #flush(): Uint8Array {
    if (this.#out === '') return EMPTY;
    const bytes = encoder.encode(this.#out);
    this.#out = '';
    return bytes;
  }
}

/** The stream format of one `/v1/messages` request; `model` is the client's name for it. */
export function anthropicStream(model: string): StreamFormat {
  return {
    upstreamFraming: 'sse',
    createTap: () => new AnthropicStreamTap(model),
    interruptionEvent: (reason) =>
      encoder.encode(errorEvent(502, `Upstream stream ${reason}; the response is incomplete`)),
  };
}
