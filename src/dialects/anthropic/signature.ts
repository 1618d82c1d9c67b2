/**
 * Gemini 3 refuses a replayed model turn whose first function call lost its `thoughtSignature`.
 * The gateway stays stateless: the signature travels to the client as the `signature` of a
 * `thinking` block placed just before the `tool_use` it belongs to, and comes back when the client
 * replays its history unchanged, as Anthropic's clients do (they must keep thinking blocks for
 * Claude's own tool use). The prefix tells our signatures from Claude's, which are dropped.
 * https://ai.google.dev/gemini-api/docs/thought-signatures
 */
const PREFIX = 'gemini.';

export function carrySignature(signature: string): string {
  return PREFIX + signature;
}

/** The Gemini signature a thinking block carries, or null for any other signature. */
export function carriedSignature(signature: unknown): string | null {
  return typeof signature === 'string' && signature.startsWith(PREFIX) && signature.length > PREFIX.length
    ? signature.slice(PREFIX.length)
    : null;
}
