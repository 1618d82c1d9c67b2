/** `gemini-key-pool <command>`: finds the command, parses its options with `util.parseArgs`, runs it. */
import { parseArgs } from 'node:util';
import { redactSecrets } from '../core/keys/redact.js';
import { SettingsError } from '../runtime/node/env.js';
import type { Command, OptionSpec } from './command.js';
import { configCommands } from './commands/config.js';
import { keyCommands } from './commands/keys.js';
import { migrateDb } from './commands/migrate-db.js';
import { stats } from './commands/stats.js';
import { tokenCommands } from './commands/tokens.js';
import { keysValidate } from './commands/validate.js';
import { commandContext } from './context.js';
import { CommandError, UsageError, type CliIo } from './io.js';

const BIN = 'gemini-key-pool';

export const COMMANDS: Command[] = [
  ...keyCommands,
  keysValidate,
  ...configCommands,
  ...tokenCommands,
  stats,
  migrateDb,
];
const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]));

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: {
    type: 'string',
    value: 'PATH|URL',
    description:
      'SQLite file or postgres:// URL (default: $DATABASE_URL, else $DATABASE_PATH, else ./data/pool.sqlite)',
  },
  json: { type: 'boolean', description: 'Print JSON, for scripts' },
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

function commandList(commands: Command[]): string[] {
  const rows = commands.map((c) => [`${c.name}${c.args ? ` ${c.args}` : ''}`, c.summary] as const);
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`);
}

export function mainHelp(): string {
  return [
    `${BIN}: manage the gateway's keys, config, access tokens and stats from a shell.`,
    'It works on the same SQLite database as the running server; the server picks changes up at',
    'its next snapshot refresh (snapshot_refresh_seconds, default 5).',
    '',
    `Usage: ${BIN} <command> [options]`,
    '',
    'Commands:',
    ...commandList(COMMANDS),
    '',
    'Options for every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment: DATABASE_URL, DATABASE_PATH; ENCRYPTION_KEY when keys are stored encrypted; for keys validate,',
    'UPSTREAM_BASE_URL and HTTPS_PROXY / HTTP_PROXY / NO_PROXY.',
    `Run \`${BIN} <command> --help\` for a command's options.`,
  ].join('\n');
}

function groupHelp(group: string): string {
  return [
    `Usage: ${BIN} ${group} <subcommand> [options]`,
    '',
    ...commandList(COMMANDS.filter((c) => c.name.startsWith(`${group} `))),
    '',
    `Run \`${BIN} ${group} <subcommand> --help\` for its options.`,
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: ${BIN} ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    '',
    command.summary + '.',
    ...(command.details ? ['', ...command.details] : []),
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
  ].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  const [first, second] = argv;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  return one ? { command: one, rest: argv.slice(1) } : null;
}

/** Runs one command line; returns the exit code (0 done, 1 failed, 2 bad usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(mainHelp());
    return first === undefined ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    if (
      first !== undefined &&
      GROUPS.has(first) &&
      (second === undefined || second === '-h' || second === '--help')
    ) {
      io.out(groupHelp(first));
      return second === undefined ? 2 : 0;
    }
    io.err(`${BIN}: unknown command: ${argv.slice(0, 2).join(' ')}\nRun \`${BIN} --help\` for the list.`);
    return 2;
  }
  const { command, rest } = found;
  try {
    const options = { ...command.options, ...GLOBAL_OPTIONS };
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: Object.fromEntries(
          Object.entries(options).map(([name, o]) => [
            name,
            o.short ? { type: o.type, short: o.short } : { type: o.type },
          ]),
        ),
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (values.help) {
      io.out(commandHelp(command));
      return 0;
    }
    const ctx = commandContext(io, { json: values.json === true, db: values.db as string | undefined });
    return await command.run(ctx, values, parsed.positionals);
  } catch (err) {
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    if (err instanceof UsageError) {
      io.err(`${BIN} ${command.name}: ${message}\nRun \`${BIN} ${command.name} --help\` for usage.`);
      return 2;
    }
    if (err instanceof CommandError || err instanceof SettingsError) {
      io.err(`${BIN} ${command.name}: ${message}`);
      return 1;
    }
    io.err(`${BIN} ${command.name} failed: ${message}`);
    return 1;
  }
}
