/**
 * Model names clients send that are not Gemini's (Claude Code's `claude-*`, Codex's `gpt-*`),
 * mapped to Gemini models by the `model_aliases` setting: comma-separated `pattern=model` pairs,
 * where `*` in a pattern matches any run of characters and the first matching pair wins. Gemini's
 * own names (`gemini-…`, `gemma-…`, `models/…`) always pass through; a name no pair matches passes
 * through too, so Google answers it (an unknown model is a 404 in the client's own shape).
 */

export interface ModelAlias {
  pattern: string;
  model: string;
  /** `pattern` compiled: anchored, `*` → `.*`, case-insensitive. */
  matcher: RegExp;
}

const PATTERN = /^[A-Za-z0-9._\-@*:]{1,128}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._\-@]{0,127}$/;
const MAX_ALIASES = 100;
const GEMINI_NAME = /^(models\/|gemini-|gemma-)/i;

function compile(pattern: string): RegExp {
  const source = pattern.replace(/[.\-@:]/g, (c) => `\\${c}`).replace(/\*/g, '.*');
  return new RegExp(`^${source}$`, 'i');
}

/** Parses the setting; an error message (for the panel, the CLI and the admin API) when it is malformed. */
export function parseModelAliases(
  text: string,
): { ok: true; aliases: ModelAlias[] } | { ok: false; error: string } {
  const aliases: ModelAlias[] = [];
  const pairs = text
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '');
  if (pairs.length > MAX_ALIASES) return { ok: false, error: `must have at most ${MAX_ALIASES} pairs` };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const pattern = eq === -1 ? '' : pair.slice(0, eq).trim();
    const model = eq === -1 ? '' : pair.slice(eq + 1).trim();
    if (!PATTERN.test(pattern) || !MODEL.test(model)) {
      return {
        ok: false,
        error: `"${pair.slice(0, 60)}" is not pattern=model (pattern: letters, digits, . _ - @ : and *; model: a Gemini model name)`,
      };
    }
    aliases.push({ pattern, model, matcher: compile(pattern) });
  }
  return { ok: true, aliases };
}

/** The Gemini model to call for a client's model name. */
export function resolveModel(aliases: readonly ModelAlias[], name: string): string {
  if (GEMINI_NAME.test(name)) return name;
  for (const alias of aliases) if (alias.matcher.test(name)) return alias.model;
  return name;
}

/** The default: Claude's large models to Pro, Haiku to Flash-Lite, OpenAI's names to Flash. */
export const DEFAULT_MODEL_ALIASES =
  'claude-*opus*=gemini-2.5-pro, claude-*sonnet*=gemini-2.5-pro, claude-*haiku*=gemini-2.5-flash-lite, gpt-*=gemini-2.5-flash, o*=gemini-2.5-flash';
