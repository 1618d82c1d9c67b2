/** `migrate-db --from sqlite:<path> --to postgres://…`: moves a gateway's SQLite database to PostgreSQL. */
import { existsSync } from 'node:fs';
import { copySqliteToPostgres, TargetNotEmptyError } from '../../storage/postgres/copy-from-sqlite.js';
import { checkPostgresUrl, redactDatabaseUrl } from '../../storage/postgres/database-url.js';
import { openPostgresClient } from '../../storage/postgres/postgres-client.js';
import { applyPostgresMigrations } from '../../storage/postgres/postgres-migrations.js';
import { openSqliteStorage } from '../../storage/sqlite/sqlite-storage.js';
import type { Command } from '../command.js';
import { json, table } from '../format.js';
import { CommandError, UsageError } from '../io.js';

/** The SQLite path of `--from`: `sqlite:<path>`, or a plain path. */
function sqlitePath(from: string): string {
  const path = from.startsWith('sqlite:') ? from.slice('sqlite:'.length) : from;
  if (path === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new UsageError(`--from must be sqlite:<path to the SQLite file>, got ${redactDatabaseUrl(from)}`);
  }
  if (!existsSync(path)) throw new CommandError(`--from: no SQLite file at ${path}`);
  return path;
}

function postgresUrl(to: string): string {
  try {
    checkPostgresUrl(to);
  } catch (err) {
    throw new UsageError(`--to: ${(err as Error).message.replace(/^DATABASE_URL/, 'the URL')}`);
  }
  return to;
}

export const migrateDb: Command = {
  name: 'migrate-db',
  summary: 'Copy a SQLite database into PostgreSQL: every table and row, ids kept',
  args: '',
  details: [
    'Applies pending migrations to both databases, then copies in one PostgreSQL transaction: the',
    'target ends as a full copy or as it was. A target that holds data is refused unless --force,',
    'which replaces its contents. Stop the gateways on both databases first.',
    'Example: gemini-key-pool migrate-db --from sqlite:data/pool.sqlite --to postgres://gkp:secret@127.0.0.1:5432/gkp',
  ],
  options: {
    from: {
      type: 'string',
      value: 'sqlite:PATH',
      description: 'The SQLite file to copy from (read; only pending migrations are applied)',
    },
    to: { type: 'string', value: 'postgres://…', description: 'The PostgreSQL database to copy into' },
    force: { type: 'boolean', description: 'Replace what the target holds' },
  },
  async run(ctx, values) {
    if (typeof values.from !== 'string') throw new UsageError('--from sqlite:<path> is required');
    if (typeof values.to !== 'string') throw new UsageError('--to postgres://… is required');
    const from = sqlitePath(values.from);
    const to = postgresUrl(values.to);
    const source = openSqliteStorage(from);
    const target = openPostgresClient(to, { max: 1, applicationName: 'gkp-migrate-db' });
    try {
      await applyPostgresMigrations(target).catch((err: unknown) => {
        throw new CommandError(`cannot open ${redactDatabaseUrl(to)}: ${(err as Error).message}`);
      });
      const copies = await copySqliteToPostgres(source.db, target, { force: values.force === true }).catch(
        (err: unknown) => {
          throw err instanceof TargetNotEmptyError ? new CommandError(err.message) : err;
        },
      );
      const total = copies.reduce((s, c) => s + c.rows, 0);
      if (ctx.json) ctx.io.out(json({ from, to: redactDatabaseUrl(to), tables: copies, rows: total }));
      else {
        ctx.io.out(
          table(
            ['table', 'rows'],
            copies.map((c) => [c.table, String(c.rows)]),
          ),
        );
        ctx.io.out(`Copied ${total} rows in ${copies.length} tables to ${redactDatabaseUrl(to)}.`);
      }
      return 0;
    } finally {
      source.close();
      await target.end({ timeout: 5 });
    }
  },
};
