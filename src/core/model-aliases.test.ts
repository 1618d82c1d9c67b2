import { describe, expect, it } from 'vitest';
import { validateConfigPatch } from './config.js';
import { DEFAULT_MODEL_ALIASES, parseModelAliases, resolveModel } from './model-aliases.js';

const defaults = (parseModelAliases(DEFAULT_MODEL_ALIASES) as { ok: true; aliases: [] }).aliases;

describe('model aliases', () => {
  it('maps Claude and OpenAI names by the defaults, and lets Gemini names and unknown names through', () => {
    expect(resolveModel(defaults, 'claude-opus-4-1-20250805')).toBe('gemini-2.5-pro');
    expect(resolveModel(defaults, 'claude-sonnet-4-5')).toBe('gemini-2.5-pro');
    expect(resolveModel(defaults, 'claude-3-5-haiku-latest')).toBe('gemini-2.5-flash-lite');
    expect(resolveModel(defaults, 'gpt-5-codex')).toBe('gemini-2.5-flash');
    expect(resolveModel(defaults, 'o4-mini')).toBe('gemini-2.5-flash');
    expect(resolveModel(defaults, 'gemini-3-flash-preview')).toBe('gemini-3-flash-preview');
    expect(resolveModel(defaults, 'mistral-large')).toBe('mistral-large');
  });

  it('takes the first matching pair, case-insensitively', () => {
    const parsed = parseModelAliases('claude-*=gemini-2.5-flash, CLAUDE-OPUS*=gemini-2.5-pro');
    expect(parsed.ok && resolveModel(parsed.aliases, 'claude-opus-4')).toBe('gemini-2.5-flash');
  });

  it('is refused by the config validation when malformed, and accepted when well formed', () => {
    expect(validateConfigPatch({ model_aliases: 'claude-*' })).toMatchObject({
      ok: false,
      errors: { model_aliases: expect.stringContaining('pattern=model') },
    });
    expect(validateConfigPatch({ model_aliases: 'x=bad model' }).ok).toBe(false);
    expect(validateConfigPatch({ model_aliases: 'gpt-*=gemini-2.5-pro' })).toEqual({
      ok: true,
      values: { model_aliases: 'gpt-*=gemini-2.5-pro' },
    });
  });
});
