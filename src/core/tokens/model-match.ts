/** Model allow-lists: names where `*` matches any run of characters (`gemini-2.5-flash*`). */

/** True when `model` (already without `models/`) matches one of `patterns`; an empty list allows all. */
export function modelAllowed(patterns: readonly string[], model: string): boolean {
  if (patterns.length === 0) return true;
  for (const pattern of patterns) if (globMatch(pattern, model)) return true;
  return false;
}

function globMatch(pattern: string, text: string): boolean {
  const p = pattern.startsWith('models/') ? pattern.slice(7) : pattern;
  if (!p.includes('*')) return p === text;
  const parts = p.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!text.startsWith(first) || text.length < first.length + last.length || !text.endsWith(last))
    return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = text.indexOf(parts[i]!, at);
    if (found === -1 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}
