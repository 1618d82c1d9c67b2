/** What a CLI command reads and writes, so commands run the same in a process and in tests. */

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The whole of standard input, for `--file -`. */
  readStdin(): Promise<string>;
}

/** A mistake in the command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {}

/** A command that could not do what was asked (unknown id, bad config value): exit code 1. */
export class CommandError extends Error {}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
