/**
 * vitest globalSetup of the `node` project: starts ONE throwaway PostgreSQL cluster for the whole
 * run and provides its URL (`inject('postgresUrl')`), or null with one visible line when the
 * server binaries are not installed, so PostgreSQL tests skip.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBinDir, POSTGRES_URL_KEY, startPostgresServer } from './postgres-server.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    console.warn(
      '\n[postgres] No PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): PostgreSQL tests are SKIPPED. ' +
        'Install Debian\'s "postgresql" package (.ci/run does) to run them.\n',
    );
    project.provide(POSTGRES_URL_KEY, null);
    return undefined;
  }
  const server = await startPostgresServer(binDir);
  project.provide(POSTGRES_URL_KEY, server.url);
  return () => server.stop();
}
