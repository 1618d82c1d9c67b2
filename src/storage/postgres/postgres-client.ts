/** Opening postgres.js clients the way the storage needs them, and telling a database URL apart. */
import postgres, { type Sql } from 'postgres';

/** A connection attempt that gets no answer fails after this long (postgres.js waits 30 s by default). */
export const CONNECT_TIMEOUT_SECONDS = 5;

/** Whether `url` names a PostgreSQL database (`postgres://…` or `postgresql://…`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

/**
 * `url` without its password, for messages and logs: `postgres://gkp:***@db:5432/pool`. A URL that
 * does not parse is reduced to its scheme, since the password's place in it is unknown.
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return `${url.trim().split(':')[0] ?? 'postgres'}://…`;
  }
}

/**
 * Checks that `url` is a PostgreSQL URL that parses, with a host and a database name. Throws an
 * error that never contains the password.
 */
export function checkPostgresUrl(url: string): void {
  const shown = redactDatabaseUrl(url);
  if (!isPostgresUrl(url))
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (got ${shown})`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `DATABASE_URL is not a valid URL (${shown}); percent-encode special characters in the password`,
    );
  }
  if (!parsed.hostname) throw new Error(`DATABASE_URL has no host (${shown})`);
  if (parsed.pathname.replace(/^\//, '') === '') throw new Error(`DATABASE_URL names no database (${shown})`);
}

/** int8 (counts, epoch milliseconds) and numeric (sums) as JS numbers: every value the stores keep fits. */
const NUMBERS = {
  to: 20,
  from: [20, 1700],
  serialize: (x: unknown) => String(x),
  parse: (x: string) => Number(x),
};

export interface ClientOptions {
  /** Connections in the pool. */
  max?: number;
  /** Shown in `pg_stat_activity`, and names the writer in change notifications. */
  applicationName: string;
  onnotify?: (channel: string, payload: string) => void;
  onclose?: () => void;
}

/** A postgres.js client: numbers as numbers, bounded connect time, notices muted. */
export function openPostgresClient(url: string, opts: ClientOptions): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    fetch_types: false,
    onnotice: () => {},
    types: { numbers: NUMBERS },
    connection: { application_name: opts.applicationName },
    ...(opts.onnotify ? { onnotify: opts.onnotify } : {}),
    ...(opts.onclose ? { onclose: opts.onclose } : {}),
  }) as unknown as Sql;
}
