/**
 * Upstream paths of the native calls translating dialects make. The key never goes in the URL.
 * Spec: https://ai.google.dev/api/generate-content
 */

/** `generateContent`, or `streamGenerateContent?alt=sse` (SSE rather than a streamed JSON array). */
export function generatePath(model: string, stream: boolean): string {
  const base = `/v1beta/models/${encodeURIComponent(model)}`;
  return stream ? `${base}:streamGenerateContent?alt=sse` : `${base}:generateContent`;
}

export function countTokensPath(model: string): string {
  return `/v1beta/models/${encodeURIComponent(model)}:countTokens`;
}
