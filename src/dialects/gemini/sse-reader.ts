/**
 * Reads Gemini's `streamGenerateContent?alt=sse` body incrementally: bytes in, parsed
 * `GenerateContentResponse` objects out. Events are `data: {json}\r\n\r\n` with no `[DONE]`; the
 * stream just ends. An error after the first event arrives as an event holding Google's error
 * envelope. Text of an unfinished event is kept as pieces and joined once, when its end arrives,
 * so a large event costs O(n) however finely it is split, and it is capped.
 * Spec: https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
import { eventData } from '../../core/usage/sse.js';
import type { GeminiErrorBody, GenerateContentResponse } from './types.js';

export type GeminiStreamItem =
  | { kind: 'response'; response: GenerateContentResponse }
  | { kind: 'error'; error: GeminiErrorBody['error'] }
  /** An event whose data is not a JSON object: the stream cannot be trusted past it. */
  | { kind: 'invalid'; data: string };

/** Thrown by `push` when one event grows past the cap without ending. */
export class SseEventTooLargeError extends Error {
  constructor(limit: number) {
    super(`a stream event exceeded ${limit} characters`);
  }
}

/** An event boundary: a blank line after a `\n` or `\r\n` line end. */
const BOUNDARY = /\r?\n\r?\n/g;
/** Long enough to hold the start of a boundary split across chunks. */
const LOOKBACK = 3;

export class GeminiSseReader {
  readonly #decoder = new TextDecoder();
  readonly #maxEventChars: number;
  #pieces: string[] = [];
  #pendingChars = 0;
  #tail = '';

  /** `maxEventChars`: one event's cap (the default fits large inline images). */
  constructor(maxEventChars = 32 * 1024 * 1024) {
    this.#maxEventChars = maxEventChars;
  }

  /** The events completed by `chunk`, in order. */
  push(chunk: Uint8Array): GeminiStreamItem[] {
    const text = this.#decoder.decode(chunk, { stream: true });
    return this.#take(text, false);
  }

  /** The last event, when the stream ended without its blank line. */
  end(): GeminiStreamItem[] {
    return this.#take(this.#decoder.decode(), true);
  }

  #take(text: string, final: boolean): GeminiStreamItem[] {
    if (text.length === 0 && !final) return [];
    BOUNDARY.lastIndex = 0;
    if (!final && !BOUNDARY.test(this.#tail + text)) {
      this.#append(text);
      return [];
    }
    const all = this.#pieces.join('') + text;
    this.#pieces = [];
    this.#pendingChars = 0;
    this.#tail = '';
    const items: GeminiStreamItem[] = [];
    let from = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(all); m !== null; m = BOUNDARY.exec(all)) {
      parseEvent(all.slice(from, m.index), items);
      from = m.index + m[0].length;
    }
    const rest = all.slice(from);
    if (final) parseEvent(rest, items);
    else this.#append(rest);
    return items;
  }

  #append(text: string): void {
    if (text.length === 0) return;
    this.#pendingChars += text.length;
    if (this.#pendingChars > this.#maxEventChars) throw new SseEventTooLargeError(this.#maxEventChars);
    this.#pieces.push(text);
    this.#tail = (this.#tail + text).slice(-LOOKBACK);
  }
}

function parseEvent(event: string, items: GeminiStreamItem[]): void {
  if (event.trim() === '') return;
  const data = eventData(event);
  // Comments and fields other than `data:` carry nothing for us.
  if (data === '') return;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    items.push({ kind: 'invalid', data: data.slice(0, 200) });
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    items.push({ kind: 'invalid', data: data.slice(0, 200) });
  } else if ('error' in value && typeof value.error === 'object' && value.error !== null) {
    items.push({ kind: 'error', error: value.error as GeminiErrorBody['error'] });
  } else {
    items.push({ kind: 'response', response: value as GenerateContentResponse });
  }
}
