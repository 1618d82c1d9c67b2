/** `config get|set`: the `pool_config` table, validated as the admin API validates it. */
import { CONFIG_FIELDS, CONFIG_KEYS, resolveConfigValues, validateConfigPatch } from '../../core/config.js';
import type { Command } from '../command.js';
import { json } from '../format.js';
import { CommandError, UsageError } from '../io.js';

const configGet: Command = {
  name: 'config get',
  summary: 'Show config values (all, or the keys named)',
  args: '[KEY...]',
  async run(ctx, _values, args) {
    const unknown = args.filter((k) => !Object.hasOwn(CONFIG_FIELDS, k));
    if (unknown.length > 0) {
      throw new UsageError(
        `unknown config key: ${unknown.join(', ')}; known keys: ${CONFIG_KEYS.join(', ')}`,
      );
    }
    const values = resolveConfigValues(await ctx.withStorage((s) => s.config.getConfigValues()));
    const keys = args.length > 0 ? CONFIG_KEYS.filter((k) => args.includes(k)) : CONFIG_KEYS;
    const config = keys.map((key) => ({
      key,
      value: values[key],
      default: CONFIG_FIELDS[key].default,
      description: CONFIG_FIELDS[key].description,
    }));
    if (ctx.json) ctx.io.out(json({ config }));
    else if (args.length === 1) ctx.io.out(config[0]?.value ?? '');
    else {
      ctx.io.out(
        config
          .map(
            (c) =>
              `${c.key} = ${c.value}${c.value === c.default ? '' : `  (default ${c.default})`}\n    ${c.description}`,
          )
          .join('\n'),
      );
    }
    return 0;
  },
};

/** `KEY=VALUE ...`, or the two-word form `KEY VALUE`. */
function assignments(args: string[]): Record<string, string> {
  if (args.length === 2 && !args[0]?.includes('=')) return { [args[0] as string]: args[1] as string };
  const patch: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected KEY=VALUE, got: ${arg}`);
    patch[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return patch;
}

const configSet: Command = {
  name: 'config set',
  summary: 'Change config values; if any value is bad, nothing changes',
  args: 'KEY=VALUE... | KEY VALUE',
  details: ['A running gateway applies the change at its next snapshot refresh (snapshot_refresh_seconds).'],
  async run(ctx, _values, args) {
    if (args.length === 0) throw new UsageError('give at least one KEY=VALUE');
    const result = validateConfigPatch(assignments(args));
    if (!result.ok) {
      const lines = Object.entries(result.errors).map(([k, v]) => (k === '_' ? v : `${k} ${v}`));
      throw new CommandError(`Invalid config, nothing changed:\n  ${lines.join('\n  ')}`);
    }
    const entries = Object.entries(result.values).map(([key, value]) => ({
      key,
      value,
      description: CONFIG_FIELDS[key as keyof typeof CONFIG_FIELDS].description,
    }));
    await ctx.withStorage((s) => s.config.setConfigValues(entries));
    if (ctx.json) ctx.io.out(json({ updated: Object.fromEntries(entries.map((e) => [e.key, e.value])) }));
    else for (const e of entries) ctx.io.out(`${e.key} = ${e.value}`);
    return 0;
  },
};

export const configCommands: Command[] = [configGet, configSet];
