/** Scrubbing keys and tokens out of text bound for logs, errors and the usage table. */
import { maskKey } from './mask.js';

const GOOGLE_KEY = /AIza[0-9A-Za-z_-]{30,}/g;
/** `key=` as a query parameter (`?key=` or `&key=`). */
const KEY_PARAM = /([?&]key=)([^&#\s"'<>]+)/gi;
const BEARER = /(\bBearer\s+)([^\s"',;]+)/gi;

/** Masks a captured value unless it is already masked. */
const mask = (_: string, prefix: string, value: string): string =>
  value.includes('…') ? prefix + value : prefix + maskKey(value);

/**
 * Replaces Google-key-looking strings (`AIza…`), `key=` query values, Bearer values, and any of
 * the `known` keys with their masked form (`maskKey`). Known values shorter than 8 characters are
 * ignored, as they would mask ordinary words.
 */
export function redactSecrets(text: string, known?: Iterable<string>): string {
  let out = text;
  if (known) {
    for (const key of known)
      if (key.length >= 8 && out.includes(key)) out = out.split(key).join(maskKey(key));
  }
  return out
    .replace(GOOGLE_KEY, (m) => maskKey(m))
    .replace(KEY_PARAM, mask)
    .replace(BEARER, mask);
}
