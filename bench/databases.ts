/**
 * The `postgres` phase: one gateway on PostgreSQL against one on SQLite (non-streaming chat at the
 * highest concurrency, interleaved rounds; the gateway's CPU and the PostgreSQL server's CPU per
 * request), then the propagation delay between two gateways on one PostgreSQL database. It starts
 * a throwaway PostgreSQL cluster from the installed server binaries; without them it says so and
 * measures nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  findPostgresBinDir,
  startPostgresServer,
  type PostgresServer,
} from '../test/support/postgres-server.js';
import { ADMIN_TOKEN, startGateway, type GatewayProcess } from './gateway.js';
import { measure, median, preflight } from './matrix.js';
import { gatewayTarget, startMock, type PhaseContext } from './phases.js';
import { cpuMs, processTree } from './processes.js';
import { measurePropagation } from './propagation.js';
import type { DatabaseComparison, DatabaseRow } from './types.js';

const GATEWAY_KEYS = 10;
/** A change B has not shown after this long counts as a timeout (and ends that change's wait). */
const PROPAGATION_TIMEOUT_MS = 10_000;

/** A new, empty database on `server`; returns its URL. */
function createDatabase(server: PostgresServer, name: string): string {
  execFileSync(join(server.binDir, 'psql'), [server.url, '-qXc', `CREATE DATABASE ${name}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The postmaster listening on `port` and its children (the backends serving the gateway). */
function postgresPids(port: number): number[] {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('-p');
      if (argv[0]?.endsWith('/postgres') && at >= 0 && argv[at + 1] === String(port)) {
        return processTree(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return [];
}

type Run = Awaited<ReturnType<typeof measure>> & { databaseCpuMs: number };

function row(database: DatabaseRow['database'], concurrency: number, runs: Run[]): DatabaseRow {
  const requests = runs.reduce((s, m) => s + m.result.requests, 0);
  const perRequest = (ms: number): number => (requests > 0 ? ms / requests : 0);
  return {
    database,
    concurrency,
    rps: median(runs.map((m) => m.result.rps)),
    p50Ms: median(runs.map((m) => m.result.p50Ms)),
    p99Ms: median(runs.map((m) => m.result.p99Ms)),
    requests,
    errors: runs.reduce((s, m) => s + m.result.errors, 0),
    badStatus: runs.reduce((s, m) => s + m.result.badStatus, 0),
    cpuMsPerRequest: perRequest(runs.reduce((s, m) => s + m.cpuMs, 0)),
    databaseCpuMsPerRequest: perRequest(runs.reduce((s, m) => s + m.databaseCpuMs, 0)),
    runs: runs.map((m) => m.result),
  };
}

async function compareDatabases(
  ctx: PhaseContext,
  server: PostgresServer,
  upstreamUrl: string,
): Promise<DatabaseRow[]> {
  const { opts } = ctx;
  const pgPort = Number(new URL(server.url).port);
  const dbPids = (): number[] => postgresPids(pgPort);
  const gateways: Array<{ database: DatabaseRow['database']; gw: GatewayProcess }> = [];
  try {
    gateways.push({
      database: 'sqlite',
      gw: await startGateway('gateway-sqlite', upstreamUrl, GATEWAY_KEYS),
    });
    const url = createDatabase(server, 'bench_throughput');
    gateways.push({
      database: 'postgres',
      gw: await startGateway('gateway-postgres', upstreamUrl, GATEWAY_KEYS, {
        database: { DATABASE_URL: url },
      }),
    });
    const targets = gateways.map(({ gw }) => gatewayTarget(gw));
    await preflight(targets, ['chat']);
    const c = Math.max(...opts.concurrency);
    const timed = async (i: number, seconds: number): Promise<Run> => {
      const dbBefore = cpuMs(dbPids());
      const m = await measure(ctx.loader, targets[i]!, 'chat', c, seconds);
      // Backends that ended during the run take their CPU time with them; the server's stay.
      return { ...m, databaseCpuMs: gateways[i]!.database === 'postgres' ? cpuMs(dbPids()) - dbBefore : 0 };
    };
    if (opts.warmupS > 0) for (let i = 0; i < targets.length; i++) await timed(i, opts.warmupS);
    const runs: Run[][] = targets.map(() => []);
    for (let round = 0; round < opts.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (k + round) % targets.length;
        const m = await timed(i, opts.durationS);
        runs[i]!.push(m);
        ctx.log(
          `round ${round + 1}/${opts.rounds} chat c=${c} ${gateways[i]!.database}: ${m.result.rps.toFixed(0)} req/s`,
        );
      }
    }
    return gateways.map(({ database }, i) => row(database, c, runs[i]!));
  } finally {
    await Promise.all(gateways.map(({ gw }) => gw.stop()));
  }
}

async function propagation(
  ctx: PhaseContext,
  server: PostgresServer,
  upstreamUrl: string,
): Promise<DatabaseComparison['propagation']> {
  const database = { DATABASE_URL: createDatabase(server, 'bench_propagation') };
  const a = await startGateway('gateway-a', upstreamUrl, 1, { database });
  const b = await startGateway('gateway-b', upstreamUrl, 0, { database }).catch(async (err: unknown) => {
    await a.stop();
    throw err;
  });
  try {
    const res = await fetch(`${a.url}/admin/api/keys`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { keys } = (await res.json()) as { keys: Array<{ id: number }> };
    const keyId = keys[0]?.id;
    if (keyId === undefined) throw new Error('propagation: gateway A holds no key');
    ctx.log(`propagation: ${ctx.opts.propagationChanges} key changes through gateway A, observed through B`);
    const result = await measurePropagation(
      'postgres',
      { a: a.url, b: b.url, adminToken: ADMIN_TOKEN, keyId },
      ctx.opts.propagationChanges,
      PROPAGATION_TIMEOUT_MS,
      ctx.log,
    );
    ctx.log(
      `propagation: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${result.timeouts} timeouts`,
    );
    return result;
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** Runs the phase on a throwaway PostgreSQL cluster, or returns a note when PostgreSQL is not installed. */
export async function postgresPhase(ctx: PhaseContext): Promise<DatabaseComparison> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    const note = 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): not measured';
    ctx.log(`postgres: ${note}`);
    return { rows: [], propagation: null, note };
  }
  const server = await startPostgresServer(binDir);
  const mock = await startMock([]);
  try {
    const rows = await compareDatabases(ctx, server, mock.url);
    return { rows, propagation: await propagation(ctx, server, mock.url), note: null };
  } finally {
    await mock.stop();
    await server.stop();
  }
}
