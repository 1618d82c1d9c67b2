/**
 * Names of Gemini's project-bound resources (https://ai.google.dev/api/files,
 * https://ai.google.dev/api/caching, https://ai.google.dev/api/batch-mode): `files/{id}`,
 * `cachedContents/{id}`, `batches/{id}`, `operations/{id}` or `models/{m}/operations/{id}`, and
 * the gateway's own upload sessions, `uploads/{id}`.
 */

export const RESOURCE_KINDS = ['files', 'cachedContents', 'batches', 'operations', 'uploads'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** `files/abc` for a valid id, null otherwise (an id is what Google hands out: no slashes, no spaces). */
export function resourceName(kind: ResourceKind, id: string): string | null {
  return ID.test(id) ? `${kind}/${id}` : null;
}

/** The kind of a resource name, e.g. `files` for `files/abc`. */
export function kindOf(name: string): ResourceKind | null {
  const slash = name.indexOf('/');
  if (slash <= 0) return null;
  const kind = name.slice(0, slash);
  if (kind === 'models') return name.includes('/operations/') ? 'operations' : null;
  return (RESOURCE_KINDS as readonly string[]).includes(kind) ? (kind as ResourceKind) : null;
}

/** A resource name in a request field: `cachedContents/x` as is, a file URI by its `/files/{id}` path end. */
export function nameFromReference(field: 'file' | 'cache', value: string): string | null {
  if (field === 'cache') {
    return value.startsWith('cachedContents/') ? resourceName('cachedContents', value.slice(15)) : null;
  }
  const at = value.lastIndexOf('/files/');
  if (at === -1) return value.startsWith('files/') ? resourceName('files', value.slice(6)) : null;
  const rest = value.slice(at + 7);
  const end = rest.search(/[?#]/);
  return resourceName('files', end === -1 ? rest : rest.slice(0, end));
}

/** When a created resource expires: its `expirationTime` / `expireTime`, epoch ms, or null. */
export function expiryOf(resource: Record<string, unknown>): number | null {
  const text = resource.expirationTime ?? resource.expireTime;
  if (typeof text !== 'string') return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}
