/**
 * Token counts of a buffered JSON response without parsing all of it. A 2xx body is checked to be
 * framed as one JSON object, and only the object under its last `"usage"` (OpenAI) or
 * `"usageMetadata"` (Gemini) key is decoded and parsed. Both sit at the end of the body, so the
 * search from the end is short; an embedding response is tens of kilobytes of floats, and parsing it
 * whole would cost more than everything else on its path.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Whether the first and last non-blank bytes are `{` and `}`: a body cut short or not JSON fails. */
export function framedAsJsonObject(bytes: Uint8Array): boolean {
  let start = 0;
  while (start < bytes.length && isSpace(bytes[start]!)) start++;
  let end = bytes.length - 1;
  while (end > start && isSpace(bytes[end]!)) end--;
  return end > start && bytes[start] === OPEN_BRACE && bytes[end] === CLOSE_BRACE;
}

/** Index of the last occurrence of `needle` in `bytes`, or -1. */
function lastIndexOf(bytes: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = bytes.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** End (exclusive) of the JSON object starting at `start`, minding strings; -1 if it never closes. */
function objectEnd(bytes: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE) depth++;
    else if (b === CLOSE_BRACE && --depth === 0) return i + 1;
  }
  return -1;
}

const needles = new Map<string, Uint8Array>();

/**
 * The parsed object under the body's last `"<key>":` key, or undefined. Inside a JSON string a quote
 * is always escaped, so the quoted key followed by a colon can only be a real key.
 */
export function scanObjectAt(bytes: Uint8Array, key: string): unknown {
  let needle = needles.get(key);
  if (!needle) {
    needle = encoder.encode(`"${key}"`);
    needles.set(key, needle);
  }
  const at = lastIndexOf(bytes, needle);
  if (at === -1) return undefined;
  let i = at + needle.length;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== COLON) return undefined;
  i++;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== OPEN_BRACE) return undefined;
  const end = objectEnd(bytes, i);
  if (end === -1) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes.subarray(i, end)));
  } catch {
    return undefined;
  }
}
