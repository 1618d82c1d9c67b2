/**
 * Gemini's `streamGenerateContent?alt=sse` body → the Responses event stream, chunk by chunk:
 * each Gemini event is parsed as it completes and turned into typed events, each event framed as
 * `event: <type>` + `data: {json}` with a `sequence_number` counting from 0.
 * Spec: https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { redactSecrets } from '../../core/keys/redact.js';
import type { Tokens } from '../../core/types.js';
import type { StreamProblem } from '../../core/usage/openai-stream-tap.js';
import { usageMetadataTokens } from '../../core/usage/tokens.js';
import { GeminiSseReader, type GeminiStreamItem } from '../gemini/sse-reader.js';
import { ResponseBuilder, type BuildContext } from './builder.js';
import type { ResponsesEvent } from './types.js';

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export class ResponsesStreamTranslator {
  readonly #reader = new GeminiSseReader();
  readonly #builder: ResponseBuilder;
  #out = '';
  #sequence = 0;
  #started = false;
  #usage: Tokens | null = null;
  #problem: StreamProblem | null = null;

  constructor(ctx: BuildContext) {
    this.#builder = new ResponseBuilder(ctx, (event) => this.#write(event));
  }

  /** Responses events for one upstream chunk; the first call also opens the response. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.#builder.finished) return EMPTY;
    this.#open();
    let items: GeminiStreamItem[];
    try {
      items = this.#reader.push(chunk);
    } catch (err) {
      this.#problem = 'unterminated';
      this.#builder.fail(err instanceof Error ? err.message : 'unreadable upstream stream');
      return this.#flush();
    }
    this.#take(items);
    return this.#flush();
  }

  /** The upstream ended cleanly: the last events, then `response.completed` (or why not). */
  end(): Uint8Array {
    if (this.#builder.finished) return EMPTY;
    this.#open();
    this.#take(this.#reader.end());
    if (!this.#builder.finished) {
      if (this.#builder.complete) this.#builder.finish();
      else {
        this.#problem = 'unterminated';
        this.#builder.fail('Upstream stream ended before the answer finished');
      }
    }
    return this.#flush();
  }

  /** `response.failed`, for a stream that broke after its first byte; empty once the response ended. */
  interrupt(reason: string): Uint8Array {
    if (this.#builder.finished) return EMPTY;
    this.#open();
    this.#builder.fail(`Upstream stream ${reason}; the response is incomplete`);
    return this.#flush();
  }

  get usage(): Tokens | null {
    return this.#usage;
  }

  /** An error event inside the stream, or a stream that stopped short of its finish reason. */
  get problem(): StreamProblem | null {
    return this.#problem;
  }

  #open(): void {
    if (this.#started) return;
    this.#started = true;
    this.#builder.start();
  }

  #take(items: GeminiStreamItem[]): void {
    for (const item of items) {
      if (this.#builder.finished) return;
      if (item.kind === 'response') {
        const usage = item.response.usageMetadata;
        if (usage) this.#usage = usageMetadataTokens(usage);
        this.#builder.add(item.response);
      } else if (item.kind === 'error') {
        this.#problem = { error: item.error };
        this.#builder.fail(redactSecrets(item.error.message ?? 'Upstream error inside the stream'));
      } else {
        this.#problem = 'unterminated';
        this.#builder.fail('Upstream sent an event that is not JSON');
      }
    }
  }

  #write(event: ResponsesEvent): void {
    const data = JSON.stringify({ ...event, sequence_number: this.#sequence++ });
    this.#out += `event: ${event.type}\ndata: ${data}\n\n`;
  }

  #flush(): Uint8Array {
    if (this.#out === '') return EMPTY;
    const bytes = encoder.encode(this.#out);
    this.#out = '';
    return bytes;
  }
}
