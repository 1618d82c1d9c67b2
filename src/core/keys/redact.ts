/** Removes API keys and secrets from text that may reach a client or a log. */
import { maskKey } from './mask.js';

/** Google API keys (`AIza` + 35), `key=` query values and Bearer credentials. */
const PATTERNS: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  [/AIza[0-9A-Za-z_-]{30,}/g, (m) => maskKey(m)],
  [/([?&]key=)([^&\s"']+)/g, (_m, prefix, value) => `${prefix}${maskKey(value)}`],
  [/(Bearer\s+)([A-Za-z0-9._~+/=-]{8,})/gi, (_m, prefix, value) => `${prefix}${maskKey(value)}`],
];

/** Replaces every secret-looking string, and every `known` key, with its masked form. */
export function redactSecrets(text: string, known?: Iterable<string>): string {
  let out = text;
  if (known) {
    for (const key of known) {
      if (key.length >= 8 && out.includes(key)) out = out.split(key).join(maskKey(key));
    }
  }
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace as (m: string) => string);
  return out;
}
