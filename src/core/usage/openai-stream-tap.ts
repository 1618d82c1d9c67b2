/**
 * Incremental tap over the OpenAI-compatible chat stream (gemini-wire.md, "Streaming"): forwards
 * complete events, records usage, `[DONE]` and a mid-stream error, and numbers tool calls.
 * Spec: https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
import type { Tokens } from '../types.js';
import { EVENT_SEPARATOR, endsAtBoundary, eventData, firstBoundaryEnd, lastBoundaryEnd } from './sse.js';
import { openaiUsage } from './tokens.js';

const EMPTY = new Uint8Array(0);
/**
 * The longest partial event held back, in characters. Larger than the Gemini taps' carry because a
 * tool call (rewritten here) may carry long arguments; an event past it (an inline image) is passed
 * through as it arrives, unread: neither rewritten nor observed.
 */
export const MAX_HELD_EVENT = 1024 * 1024;
/** Characters of held text re-read with a new chunk, so a boundary split across chunks is found. */
const BOUNDARY_OVERLAP = 3;

type Json = Record<string, unknown>;

/** `event` with its data line(s) replaced by `data`; other fields are kept. */
function withData(event: string, data: string): string {
  const other = event.split(/\r?\n|\r/).filter((line) => !line.startsWith('data:'));
  return [...other, `data: ${data}`].join('\n');
}

/** See `OpenAIStreamTap.problem`. */
export type StreamProblem = { error: unknown } | 'unterminated';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Passes complete SSE events through and holds a trailing partial event until it completes.
 *
 * Gemini sends each tool call whole, in its own chunk, without the `index` that strict OpenAI
 * clients key on; the tap adds `index` to every `choices[].delta.tool_calls[]` element lacking one,
 * numbering calls in arrival order per choice across the whole stream. An error event wrapped in an
 * array is unwrapped. Only events that need it are parsed: those with `"tool_calls"` (rewritten), an
 * error event, and the last event with `"usage"` (parsed lazily when `usage` is read).
 */
export class OpenAIStreamTap {
  readonly #decoder = new TextDecoder();
  readonly #encoder = new TextEncoder();
  /** The trailing partial event, in pieces: joined once, when it completes. */
  #held: string[] = [];
  #heldLength = 0;
  /** An event outgrew `MAX_HELD_EVENT`: its bytes go through unread until it ends. */
  #passingThrough = false;
  /** The last characters since the last event boundary, where the next boundary may have begun. */
  #tail = '';
  #scanned = 0;
  /** The previous chunk ended exactly at an event boundary: nothing is held back. */
  #clean = true;
  #usageText: string | null = null;
  #usageParsedFrom: string | null = null;
  #usage: Tokens | null = null;
  #done = false;
  #error: unknown = null;
  /** Choice index → tool calls numbered so far. */
  readonly #calls = new Map<number, number>();

  /**
   * Bytes to forward now (complete events only). Returns `chunk` itself when it holds only complete
   * events needing no rewrite and nothing was held back (the fast path).
   */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    const wasClean = this.#clean && this.#heldLength === 0 && !this.#passingThrough;
    this.#clean = endsAtBoundary(chunk);
    const text = this.#decoder.decode(chunk, { stream: true });
    if (wasClean && this.#clean && !text.includes('"tool_calls"') && !text.includes('[{"error"')) {
      this.#scanned += text.length;
      const events = text.split(EVENT_SEPARATOR);
      for (let i = 0; i < events.length; i += 2) this.#observe(events[i] ?? '');
      return chunk;
    }
    const out = this.#take(text);
    return out === '' ? EMPTY : this.#encoder.encode(out);
  }

  /** Whatever is left (a final event without its blank line), processed like the rest. */
  end(): Uint8Array {
    const rest = this.#held.join('') + this.#decoder.decode();
    const passingThrough = this.#passingThrough;
    this.#held = [];
    this.#heldLength = 0;
    this.#passingThrough = false;
    this.#tail = '';
    this.#clean = true;
    if (rest === '') return EMPTY;
    return this.#encoder.encode(passingThrough ? rest : this.#process(rest));
  }

  /**
   * Characters examined so far to find events and read them: stays proportional to the stream's
   * length however its events are split into chunks.
   */
  get scanned(): number {
    return this.#scanned;
  }

  /** The text to forward for `text`: complete events, processed; a too-long event, as it is. */
  #take(text: string): string {
    // Only the new text, after the last few characters since the last boundary, can end an event.
    const tail = this.#tail;
    const window = tail + text;
    this.#scanned += window.length;
    if (this.#passingThrough) {
      const end = firstBoundaryEnd(window) - tail.length;
      if (end <= 0) {
        this.#tail = window.slice(-BOUNDARY_OVERLAP);
        return text;
      }
      this.#passingThrough = false;
      this.#tail = '';
      return text.slice(0, end) + this.#take(text.slice(end));
    }
    const cut = lastBoundaryEnd(window) - tail.length;
    if (cut <= 0) {
      this.#tail = window.slice(-BOUNDARY_OVERLAP);
      return this.#hold(text);
    }
    const complete = this.#held.join('') + text.slice(0, cut);
    const rest = text.slice(cut);
    this.#held = [];
    this.#heldLength = 0;
    this.#tail = rest.slice(-BOUNDARY_OVERLAP);
    return this.#process(complete) + this.#hold(rest);
  }

  /** Holds a partial event back; once it outgrows the cap it is forwarded instead, and what follows of it too. */
  #hold(text: string): string {
    if (text === '') return '';
    this.#held.push(text);
    this.#heldLength += text.length;
    if (this.#heldLength <= MAX_HELD_EVENT) return '';
    const held = this.#held.join('');
    this.#held = [];
    this.#heldLength = 0;
    this.#passingThrough = true;
    return held;
  }

  /** The LAST event's usage: Gemini's is cumulative, so it is never summed. */
  get usage(): Tokens | null {
    if (this.#usageText !== this.#usageParsedFrom) {
      this.#usageParsedFrom = this.#usageText;
      this.#usage = this.#usageText === null ? null : (openaiUsage(tryParse(this.#usageText)) ?? this.#usage);
    }
    return this.#usage;
  }

  /**
   * What was wrong with a stream that ended cleanly: the `{"error":…}` envelope of an error event
   * the upstream sent inside it, or `'unterminated'` when `data: [DONE]` never came; null when fine.
   */
  get problem(): StreamProblem | null {
    if (this.#error !== null) return { error: this.#error };
    return this.#done ? null : 'unterminated';
  }

  #process(text: string): string {
    this.#scanned += text.length;
    const parts = text.split(EVENT_SEPARATOR);
    for (let i = 0; i < parts.length; i += 2) parts[i] = this.#observe(parts[i] ?? '');
    return parts.join('');
  }

  /** Records what the event tells and returns it, rewritten if its tool calls lacked `index`. */
  #observe(event: string): string {
    if (!event.includes('data:')) return event;
    const data = eventData(event);
    const head = data.trimStart();
    if (head.startsWith('[DONE]')) {
      this.#done = true;
      return event;
    }
    if (head.startsWith('{"error"') || head.startsWith('[{"error"')) {
      const parsed = tryParse(data);
      const envelope = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!isObject(envelope) || envelope.error === undefined) return event;
      this.#error = envelope.error;
      // OpenAI clients read an error event as `{"error":…}`; the compatible endpoint wraps it in an array.
      return Array.isArray(parsed) ? withData(event, JSON.stringify(envelope)) : event;
    }
    if (data.includes('"usage"')) this.#usageText = data;
    if (!data.includes('"tool_calls"')) return event;
    const rewritten = this.#indexToolCalls(data);
    return rewritten === null ? event : withData(event, rewritten);
  }

  /** Adds missing tool-call indexes; null when nothing changed (or the data is not JSON). */
  #indexToolCalls(data: string): string | null {
    const chunk = tryParse(data);
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) return null;
    let changed = false;
    chunk.choices.forEach((choice: unknown, position) => {
      if (!isObject(choice) || !isObject(choice.delta) || !Array.isArray(choice.delta.tool_calls)) return;
      const choiceIndex = typeof choice.index === 'number' ? choice.index : position;
      let next = this.#calls.get(choiceIndex) ?? 0;
      for (const call of choice.delta.tool_calls) {
        if (!isObject(call)) continue;
        if (typeof call.index === 'number') {
          next = Math.max(next, call.index + 1);
        } else {
          call.index = next++;
          changed = true;
        }
      }
      this.#calls.set(choiceIndex, next);
    });
    return changed ? JSON.stringify(chunk) : null;
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
