/** Masked forms of API keys: enough to recognise a key in a list, never enough to use it. */

/** `AIza…Xy12` (first 4 + `…` + last 4); keys shorter than 12 characters → `…` + last 2. */
export function maskKey(apiKey: string): string {
  if (apiKey.length < 12) return `…${apiKey.slice(-2)}`;
  return `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}

const PLAUSIBLE_KEY = /^[A-Za-z0-9_.-]{20,256}$/;

/** 20–256 characters of `[A-Za-z0-9_.-]`: the shape of a Gemini key, loose enough for other formats. */
export function isPlausibleKey(s: string): boolean {
  return PLAUSIBLE_KEY.test(s);
}
