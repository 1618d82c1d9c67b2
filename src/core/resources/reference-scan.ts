/**
 * Finds the project-bound resources a request body names: file URIs in
 * `contents[].parts[].fileData.fileUri` (or `file_data.file_uri`), and a cache in `cachedContent`
 * (or `cached_content`, as the OpenAI-compatible endpoint takes it in `extra_body.google`). Bodies
 * without any of those field names are ruled out by a byte search, without walking the JSON.
 */
import { nameFromReference } from './resource-names.js';

const NEEDLES = ['fileUri', 'file_uri', 'cachedContent', 'cached_content'].map((text) =>
  Uint8Array.from(text, (c) => c.charCodeAt(0)),
);

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first); i !== -1 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** Whether the body may name a resource (a field name of one appears in its bytes). */
export function mayReferenceResources(body: Uint8Array): boolean {
  for (const needle of NEEDLES) if (indexOfBytes(body, needle) !== -1) return true;
  return false;
}

const FIELDS: Record<string, 'file' | 'cache'> = {
  fileUri: 'file',
  file_uri: 'file',
  cachedContent: 'cache',
  cached_content: 'cache',
};

/**
 * Resource names (`files/x`, `cachedContents/y`) in a parsed body, each once. The walk is
 * iterative; depth is bounded by the body reader.
 */
export function referencedResources(json: unknown): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [field, child] = entries[i]!;
      const kind = FIELDS[field];
      if (kind && typeof child === 'string') {
        const name = nameFromReference(kind, child);
        if (name) found.add(name);
      } else stack.push(child);
    }
  }
  return [...found];
}

/** The resources a JSON body names; parses `bytes` only when a field name of one appears in them. */
export function scanResources(bytes: Uint8Array, json?: unknown): string[] {
  if (!mayReferenceResources(bytes)) return [];
  if (json === undefined) {
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return [];
    }
  }
  return referencedResources(json);
}
