/**
 * Finds the project-bound resources a request body names: file URIs in
 * `contents[].parts[].fileData.fileUri` (or `file_data.file_uri`), and a cache in `cachedContent`
 * (or `cached_content`, as the OpenAI-compatible endpoint takes it in `extra_body.google`). Bodies
 * without any of those field names are ruled out by one search of their text, without walking the
 * JSON.
 */
import { nameFromReference } from './resource-names.js';

/** The four field names, in one pattern: the text is searched once, not once per name. */
const FIELD_NAMES = /file(?:Uri|_uri)|cached(?:Content|_content)/;

/** No resources: shared, so a body that names none allocates nothing. */
export const NO_RESOURCES: readonly string[] = Object.freeze([]);

/** Whether the body may name a resource (a field name of one appears in its text). */
export function mayReferenceResources(text: string): boolean {
  return FIELD_NAMES.test(text);
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

/** The resources a JSON body names, from its `text` and its parsed `json`; walks `json` only when a field name of one appears in `text`. */
export function scanResources(text: string, json: unknown): readonly string[] {
  return mayReferenceResources(text) ? referencedResources(json) : NO_RESOURCES;
}
