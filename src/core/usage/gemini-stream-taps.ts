/**
 * Observe-only taps over Gemini's native `streamGenerateContent` responses: they never rewrite,
 * and keep only what is needed to report the LAST `usageMetadata` (it is cumulative).
 * Spec: https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
import type { Tokens } from '../types.js';
import { usageMetadataTokens } from './tokens.js';

const MARKER = '"usageMetadata"';
/** A `usageMetadata` object is a few hundred bytes; anything this long is not one. */
const MAX_CARRY = 64 * 1024;

function parsedUsage(text: string | null): Tokens | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && 'usageMetadata' in value
      ? usageMetadataTokens(value.usageMetadata)
      : usageMetadataTokens(value);
  } catch {
    return null;
  }
}

/**
 * Without `alt=sse`: one JSON array streamed as `[{…}\r\n,{…}]`. The tap finds each
 * `"usageMetadata": {…}` by brace matching and keeps only the last object's text, plus a bounded
 * carry-over while one straddles chunks; the body itself is never buffered.
 */
export class GeminiJsonArrayTap {
  readonly #decoder = new TextDecoder();
  #carry = '';
  #usageText: string | null = null;

  push(chunk: Uint8Array): void {
    let text = this.#carry + this.#decoder.decode(chunk, { stream: true });
    this.#carry = '';
    for (;;) {
      const at = text.indexOf(MARKER);
      if (at === -1) {
        // Keep enough to find a marker split across chunks.
        this.#carry = text.slice(-(MARKER.length - 1));
        return;
      }
      const found = objectAfter(text, at + MARKER.length);
      if (found === 'incomplete') {
        const rest = text.slice(at);
        this.#carry = rest.length <= MAX_CARRY ? rest : '';
        return;
      }
      if (found !== 'absent') this.#usageText = text.slice(found.start, found.end);
      text = text.slice(found === 'absent' ? at + MARKER.length : found.end);
    }
  }

  get usage(): Tokens | null {
    return parsedUsage(this.#usageText);
  }
}

/** After a marker: skips `:` and whitespace, then brace-matches one object (string-aware). */
function objectAfter(text: string, from: number): { start: number; end: number } | 'incomplete' | 'absent' {
  let i = from;
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  if (i === text.length) return 'incomplete';
  if (text[i] !== ':') return 'absent';
  i++;
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  if (i === text.length) return 'incomplete';
  if (text[i] !== '{') return 'absent';
  const start = i;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return { start, end: i + 1 };
  }
  return 'incomplete';
}

/**
 * `?alt=sse`: events `data: {json}\r\n\r\n`, no `[DONE]`; the stream just ends. Each event's data
 * is one JSON line, and `"usageMetadata"` cannot occur unescaped inside a JSON string, so the usage
 * is found the same way as in the array, with no need to frame events: an event of any size (an
 * inline image) costs linear work and at most `MAX_CARRY` is held. A final event without its blank
 * line counts too.
 */
export class GeminiSseTap extends GeminiJsonArrayTap {}
