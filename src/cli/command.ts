/** The shape every CLI command has: what `--help` prints and what runs. */
import type { CommandContext } from './context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, e.g. `PATH`. */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  /** e.g. `keys add`. */
  name: string;
  summary: string;
  /** Arguments after the name, e.g. `ID...`. */
  args: string;
  /** More lines for `--help`. */
  details?: string[];
  options?: Record<string, OptionSpec>;
  /** Returns the exit code. */
  run(ctx: CommandContext, values: OptionValues, args: string[]): Promise<number>;
}
