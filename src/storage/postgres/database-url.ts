/** Telling a PostgreSQL URL apart, checking it, and showing it without its password. No client import. */

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
