/**
 * Runtime configuration kept in `pool_config`. Values are stored as strings (the seed's schema)
 * and validated here, so every adapter and route shares one definition of what is allowed.
 */
// zod/mini: the same validators as zod, tree-shakeable (the full build adds ~440 KB to the Worker bundle).
import * as z from 'zod/mini';
import { DEFAULT_MODEL_ALIASES, parseModelAliases, type ModelAlias } from './model-aliases.js';

export const STRATEGY_NAMES = ['round_robin', 'least_used', 'random'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What a value may be, for forms that offer the right control (the panel) and explain a refusal. */
export type ConfigInput =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'flag' }
  | { kind: 'text'; maxLength: number };

const integer = (min: number, max: number) => ({
  schema: z.coerce.number({ error: 'must be a number' }).check(
    z.refine(Number.isInteger, 'must be a whole number'),
    z.refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`),
  ),
  input: { kind: 'integer', min, max } as const,
});

const choice = (choices: readonly [string, ...string[]]) => ({
  schema: z.enum(choices, { error: `must be one of ${choices.join(', ')}` }),
  input: { kind: 'choice', choices } as const,
});

const FLAG_SCHEMA = z.union([z.literal('0'), z.literal('1'), z.literal(0), z.literal(1), z.boolean()], {
  error: 'must be 0 or 1',
});
const flag = { schema: FLAG_SCHEMA, input: { kind: 'flag' } as const };

const ALIASES_MAX_LENGTH = 8000;
const modelAliases = {
  schema: z.string({ error: 'must be text' }).check(
    z.maxLength(ALIASES_MAX_LENGTH, `must be at most ${ALIASES_MAX_LENGTH} characters`),
    z.superRefine((text, ctx) => {
      const parsed = parseModelAliases(text);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error, input: text });
    }),
  ),
  input: { kind: 'text', maxLength: ALIASES_MAX_LENGTH } as const,
};

interface ConfigField {
  schema: z.ZodMiniType;
  input: ConfigInput;
  default: string;
  description: string;
}

/** Every config key, its validation, default and description. Order is the order shown in the panel. */
export const CONFIG_FIELDS = {
  rotation_strategy: {
    ...choice(STRATEGY_NAMES),
    default: 'round_robin',
    description: 'Key rotation strategy: round_robin, least_used or random',
  },
  max_errors_threshold: {
    ...integer(1, 1000),
    default: '5',
    description:
      'Consecutive key errors (401/403 without a known reason) before a key is disabled for error_reset_interval',
  },
  error_reset_interval: {
    ...integer(1, 30 * 86400),
    default: '3600',
    description:
      'Seconds a key stays disabled after too many errors; also when consecutive error counts reset',
  },
  enable_usage_tracking: {
    ...flag,
    default: '1',
    description: 'Record one api_key_usage row per upstream attempt (1) or only key counters (0)',
  },
  max_retries: {
    ...integer(0, 20),
    default: '3',
    description:
      'How many more attempts a request may make after the first one fails: on other keys, or on the same key when Gemini could not be reached at all',
  },
  request_timeout_ms: {
    ...integer(100, 600_000),
    default: '60000',
    description:
      'Time limit of one upstream attempt, in milliseconds: until the whole answer, or for a stream until its response headers',
  },
  request_deadline_ms: {
    ...integer(100, 3_600_000),
    default: '300000',
    description:
      'Time limit of a whole request across all its attempts, in milliseconds: until the whole answer, or for a stream until it starts; no retry starts after it, and it cuts the last attempt short',
  },
  stream_idle_timeout_ms: {
    ...integer(100, 600_000),
    default: '60000',
    description: 'A stream that sends nothing for this long is ended, in milliseconds',
  },
  default_cooldown_seconds: {
    ...integer(1, 86400),
    default: '60',
    description: 'Cooldown for a model after a 429 that carries no retry delay, in seconds',
  },
  usage_retention_days: {
    ...integer(1, 3650),
    default: '30',
    description: 'Usage rows older than this many days are deleted by the scheduled job',
  },
  snapshot_refresh_seconds: {
    ...integer(1, 3600),
    default: '5',
    description: 'How often a running gateway reloads key changes made elsewhere, in seconds',
  },
  revalidate_interval_minutes: {
    ...integer(0, 10_080),
    default: '60',
    description:
      'How often the scheduled job re-checks auto-disabled keys upstream and re-enables those that pass, in minutes (0 = never)',
  },
  local_rpm_limit: {
    ...integer(0, 1_000_000),
    default: '0',
    description:
      'Local limit: requests per minute per key (per project when the key has one) and model; a key at its limit is skipped (0 = off)',
  },
  local_rpd_limit: {
    ...integer(0, 100_000_000),
    default: '0',
    description:
      'Local limit: requests per day (midnight to midnight Pacific) per key (per project when the key has one) and model (0 = off)',
  },
  resource_affinity_seconds: {
    ...integer(0, 7 * 86400),
    default: '3600',
    description:
      'Uploads under one access token within this many seconds of its last one go to the same key while it is usable, keeping files in one project (0 = off)',
  },
  model_aliases: {
    ...modelAliases,
    default: DEFAULT_MODEL_ALIASES,
    description:
      'Client model names mapped to Gemini models, as comma-separated pattern=model pairs (* matches anything; the first match wins). Gemini names always pass through',
  },
} satisfies Record<string, ConfigField>;

export type ConfigKey = keyof typeof CONFIG_FIELDS;
export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as ConfigKey[];

/** Parsed, typed configuration. */
export interface PoolConfig {
  rotationStrategy: StrategyName;
  maxErrorsThreshold: number;
  errorResetIntervalMs: number;
  enableUsageTracking: boolean;
  maxRetries: number;
  requestTimeoutMs: number;
  requestDeadlineMs: number;
  streamIdleTimeoutMs: number;
  defaultCooldownMs: number;
  usageRetentionMs: number;
  snapshotRefreshMs: number;
  /** 0: never. */
  revalidateIntervalMs: number;
  /** 0: off. */
  localRpmLimit: number;
  /** 0: off. */
  localRpdLimit: number;
  /** 0: off. */
  resourceAffinityMs: number;
  /** See `resolveModel`. */
  modelAliases: readonly ModelAlias[];
}

function normalize(key: ConfigKey, raw: unknown): { ok: true; value: string } | { ok: false; error: string } {
  const field: ConfigField = CONFIG_FIELDS[key];
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) {
    return { ok: false, error: 'must not be empty' };
  }
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    return { ok: false, error: 'must be a string, number or boolean' };
  }
  // Only on/off fields take a boolean; a number field would otherwise coerce true to 1.
  if (typeof raw === 'boolean' && field.input.kind !== 'flag')
    return { ok: false, error: 'must not be a boolean' };
  const input = typeof raw === 'string' ? raw.trim() : raw;
  const result = field.schema.safeParse(input);
  if (!result.success) return { ok: false, error: result.error.issues[0]?.message ?? 'is invalid' };
  const parsed: unknown = result.data;
  if (typeof parsed === 'boolean') return { ok: true, value: parsed ? '1' : '0' };
  return { ok: true, value: String(parsed) };
}

export type ConfigPatchResult =
  { ok: true; values: Partial<Record<ConfigKey, string>> } | { ok: false; errors: Record<string, string> };

/** Validates a partial update from the admin API. Unknown keys and bad values are all reported; nothing is applied unless everything is valid. */
export function validateConfigPatch(patch: unknown): ConfigPatchResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, errors: { _: 'expected a JSON object of config keys to values' } };
  }
  const entries = Object.entries(patch);
  if (entries.length === 0) return { ok: false, errors: { _: 'no config keys given' } };
  const values: Partial<Record<ConfigKey, string>> = {};
  // No prototype: an unknown key named `__proto__` must be recorded as an error, not swallowed.
  const errors: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, raw] of entries) {
    if (!Object.hasOwn(CONFIG_FIELDS, key)) {
      errors[key] = `is not a config key; known keys: ${CONFIG_KEYS.join(', ')}`;
      continue;
    }
    const result = normalize(key as ConfigKey, raw);
    if (result.ok) values[key as ConfigKey] = result.value;
    else errors[key] = result.error;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, values };
}

/** Fills defaults for missing or invalid stored values (a hand-edited row never stops the gateway). */
export function resolveConfigValues(stored: Record<string, string>): Record<ConfigKey, string> {
  const out = {} as Record<ConfigKey, string>;
  for (const key of CONFIG_KEYS) {
    const raw = stored[key];
    const result = raw === undefined ? undefined : normalize(key, raw);
    out[key] = result?.ok ? result.value : CONFIG_FIELDS[key].default;
  }
  return out;
}

export function parseConfig(stored: Record<string, string>): PoolConfig {
  const v = resolveConfigValues(stored);
  return {
    rotationStrategy: v.rotation_strategy as StrategyName,
    maxErrorsThreshold: Number(v.max_errors_threshold),
    errorResetIntervalMs: Number(v.error_reset_interval) * 1000,
    enableUsageTracking: v.enable_usage_tracking === '1',
    maxRetries: Number(v.max_retries),
    requestTimeoutMs: Number(v.request_timeout_ms),
    requestDeadlineMs: Number(v.request_deadline_ms),
    streamIdleTimeoutMs: Number(v.stream_idle_timeout_ms),
    defaultCooldownMs: Number(v.default_cooldown_seconds) * 1000,
    usageRetentionMs: Number(v.usage_retention_days) * 86_400_000,
    snapshotRefreshMs: Number(v.snapshot_refresh_seconds) * 1000,
    revalidateIntervalMs: Number(v.revalidate_interval_minutes) * 60_000,
    localRpmLimit: Number(v.local_rpm_limit),
    localRpdLimit: Number(v.local_rpd_limit),
    resourceAffinityMs: Number(v.resource_affinity_seconds) * 1000,
    modelAliases: (parseModelAliases(v.model_aliases) as { ok: true; aliases: ModelAlias[] }).aliases,
  };
}

/** The rows to seed `pool_config` with: defaults for keys not stored yet. */
export function defaultConfigRows(): Array<{ key: ConfigKey; value: string; description: string }> {
  return CONFIG_KEYS.map((key) => ({
    key,
    value: CONFIG_FIELDS[key].default,
    description: CONFIG_FIELDS[key].description,
  }));
}
