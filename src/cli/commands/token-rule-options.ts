/** The CLI flags of token rules, turned into the admin API's fields and checked by the same rules. */
import { parseTokenRules } from '../../core/tokens/token-rules.js';
import type { TokenRules } from '../../core/types.js';
import type { OptionSpec, OptionValues } from '../command.js';
import { UsageError } from '../io.js';

export const RULE_OPTIONS: Record<string, OptionSpec> = {
  models: {
    type: 'string',
    value: 'LIST',
    description: "Allowed models, comma-separated, * a wildcard ('gemini-2.5-flash*'); '' allows all",
  },
  rpm: { type: 'string', value: 'N', description: 'Requests per minute (0: no limit)' },
  rpd: { type: 'string', value: 'N', description: 'Requests per day, midnight Pacific (0: no limit)' },
  tpm: { type: 'string', value: 'N', description: 'Tokens per minute (0: no limit)' },
  tpd: { type: 'string', value: 'N', description: 'Tokens per day (0: no limit)' },
  expires: {
    type: 'string',
    value: 'TIME',
    description: "Expiry, an ISO date or time (2027-01-01, 2027-01-01T12:00:00Z); 'never' clears it",
  },
  group: {
    type: 'string',
    value: 'NAME',
    description: "Key group the token uses; '*' any key, '-' keys of no group (the default)",
  },
};

const LIMIT_FLAGS = ['rpm', 'rpd', 'tpm', 'tpd'] as const;

/** The rules named by the flags present; a bad value is a usage error naming the flag. */
export function rulesFromOptions(values: OptionValues): Partial<TokenRules> {
  const input: Record<string, unknown> = {};
  if (typeof values.models === 'string') {
    input.models = values.models
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
  }
  for (const flag of LIMIT_FLAGS) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${flag} must be a whole number (0: no limit)`);
    input[flag] = Number(v.trim());
  }
  if (typeof values.expires === 'string')
    input.expires_at = values.expires === 'never' ? null : values.expires;
  if (typeof values.group === 'string') input.key_group = values.group === '-' ? null : values.group;
  const result = parseTokenRules(input);
  if (!result.ok) {
    const flag =
      { models: 'models', expires_at: 'expires', key_group: 'group' }[result.param as string] ?? result.param;
    throw new UsageError(`--${flag}: ${result.message}`);
  }
  return result.rules;
}

/** One line saying what a token may do, for `tokens list`. */
export function describeRules(t: TokenRules): string {
  const parts: string[] = [];
  if (!t.enabled) parts.push('paused');
  if (t.models.length > 0) parts.push(`models ${t.models.join(',')}`);
  for (const flag of LIMIT_FLAGS) if (t[flag] !== null) parts.push(`${flag} ${t[flag]}`);
  if (t.expiresAt !== null) parts.push(`expires ${new Date(t.expiresAt).toISOString()}`);
  if (t.keyGroup !== null) parts.push(`group ${t.keyGroup}`);
  return parts.join('; ') || '-';
}
