/** Masked forms of an API key, the only forms that may appear in responses and logs. */

/** `AIza…Xy12`: first four and last four characters; keys shorter than 12 show only their last two. */
export function maskKey(apiKey: string): string {
  return apiKey.length < 12 ? `…${apiKey.slice(-2)}` : `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}

/** The hint stored in `api_keys.key_hint`. */
export const keyHint = maskKey;
