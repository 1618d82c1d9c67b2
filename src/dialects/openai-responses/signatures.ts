/**
 * Carries Gemini's thought signatures through Responses fields a client replays unchanged, so the
 * gateway stays stateless (`store: false` clients send the whole history back each turn).
 *
 * - A function call's signature rides in its `call_id`: `<call id>.ts.<signature>`. Every client
 *   returns `call_id` verbatim on the `function_call` item it replays, whether or not it asked for
 *   reasoning content (Codex drops item `id`s when it replays, so an id would not do).
 * - A signature on a text or thought part rides in a reasoning item's `encrypted_content`
 *   (`gkp1.<signature>`), built only when `include` asks for `reasoning.encrypted_content`.
 *
 * Base64 signatures contain no `.`, so the last `.ts.` always splits a call id correctly.
 * Docs: https://ai.google.dev/gemini-api/docs/thought-signatures
 */

const CALL_MARK = '.ts.';
const CONTENT_PREFIX = 'gkp1.';

export function callIdWithSignature(callId: string, signature: string | undefined): string {
  return signature ? `${callId}${CALL_MARK}${signature}` : callId;
}

/** The call id as Gemini knows it, and the signature carried with it (if any). */
export function splitCallId(callId: string): { id: string; signature: string | undefined } {
  const at = callId.lastIndexOf(CALL_MARK);
  if (at === -1) return { id: callId, signature: undefined };
  return { id: callId.slice(0, at), signature: callId.slice(at + CALL_MARK.length) || undefined };
}

export function encryptedContentFor(signature: string): string {
  return CONTENT_PREFIX + signature;
}

/** The signature in a reasoning item's `encrypted_content`, or undefined if it holds none of ours. */
export function signatureFromEncryptedContent(content: unknown): string | undefined {
  if (typeof content !== 'string' || !content.startsWith(CONTENT_PREFIX)) return undefined;
  return content.slice(CONTENT_PREFIX.length) || undefined;
}
