/**
 * Token rules from user input (the admin API's JSON and the CLI's flags), validated in one place.
 * Field names are the API's: `models`, `rpm`, `rpd`, `tpm`, `tpd`, `expires_at`, `key_group`, `enabled`.
 */
import { GROUP_PATTERN } from '../keys/import.js';
import type { TokenRules } from '../types.js';

export const TOKEN_RULE_FIELDS = [
  'models',
  'rpm',
  'rpd',
  'tpm',
  'tpd',
  'expires_at',
  'key_group',
  'enabled',
] as const;
export type TokenRuleField = (typeof TOKEN_RULE_FIELDS)[number];

/** At most this many allow-list entries, each at most 100 characters. */
export const MAX_MODELS = 100;
const MODEL_PATTERN = /^[A-Za-z0-9._:/*-]{1,100}$/;
/** The largest limit accepted; 0 or null turns a limit off. */
export const MAX_LIMIT = 1_000_000_000_000;

export type RulesResult =
  { ok: true; rules: Partial<TokenRules> } | { ok: false; param: TokenRuleField; message: string };

const LIMITS = ['rpm', 'rpd', 'tpm', 'tpd'] as const;

/** An ISO date or date-time (a bare date is midnight UTC) → epoch ms; null when it is not one. */
export function parseIsoTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text))
    return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Reads the rule fields present in `input` (others are left out of the result, so a PATCH changes
 * only what it names). Unknown fields are not looked at.
 */
export function parseTokenRules(input: Record<string, unknown>): RulesResult {
  const rules: Partial<TokenRules> = {};
  if (input.models !== undefined) {
    const list = input.models === null ? [] : input.models;
    if (
      !Array.isArray(list) ||
      list.length > MAX_MODELS ||
      !list.every((m) => typeof m === 'string' && MODEL_PATTERN.test(m.trim()))
    ) {
      return {
        ok: false,
        param: 'models',
        message: `'models' must be a list of at most ${MAX_MODELS} model names (letters, digits, . _ : / - and * as a wildcard)`,
      };
    }
    rules.models = [...new Set(list.map((m: string) => m.trim()))];
  }
  for (const name of LIMITS) {
    const v = input[name];
    if (v === undefined) continue;
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_LIMIT)) {
      return {
        ok: false,
        param: name,
        message: `'${name}' must be a whole number from 0 to ${MAX_LIMIT}, or null (0 and null mean no limit)`,
      };
    }
    rules[name] = v === null || v === 0 ? null : v;
  }
  if (input.expires_at !== undefined) {
    const v = input.expires_at;
    const at = typeof v === 'string' ? parseIsoTime(v.trim()) : null;
    if (v !== null && at === null) {
      return {
        ok: false,
        param: 'expires_at',
        message: `'expires_at' must be an ISO time such as 2027-01-01 or 2027-01-01T12:00:00Z, or null`,
      };
    }
    rules.expiresAt = at;
  }
  if (input.key_group !== undefined) {
    const v = typeof input.key_group === 'string' ? input.key_group.trim() : input.key_group;
    if (v !== null && v !== '' && v !== '*' && !(typeof v === 'string' && GROUP_PATTERN.test(v))) {
      return {
        ok: false,
        param: 'key_group',
        message: `'key_group' must be a group name (1-64 of letters, digits, . _ : -), '*' for any key, or null for keys of no group`,
      };
    }
    rules.keyGroup = v === '' ? null : (v as string | null);
  }
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean')
      return { ok: false, param: 'enabled', message: `'enabled' must be true or false` };
    rules.enabled = input.enabled;
  }
  return { ok: true, rules };
}
