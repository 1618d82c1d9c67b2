/** The `postgres` phase in the report: its target row and its section. */
import { f, int, table } from './markdown.js';
import type { BenchResult, TargetCheck } from './types.js';

type Partial = Omit<BenchResult, 'targets'>;

/** The issue's propagation bound, and PostgreSQL's CPU per request beside SQLite's (reported, no bound). */
export function databaseTargets(r: Partial): TargetCheck[] {
  const d = r.databases;
  if (!d) return [];
  const p = d.propagation;
  const sqlite = d.rows.find((x) => x.database === 'sqlite');
  const pg = d.rows.find((x) => x.database === 'postgres');
  const cost = sqlite && pg && sqlite.cpuMsPerRequest > 0;
  return [
    {
      measure: `propagation of a key change between two gateways on PostgreSQL${p ? `, ${int(p.changes)} changes` : ''}`,
      target: 'p99 ≤ 1 s',
      measured: p
        ? `p99 ${f(p.p99Ms, 1)} ms (p50 ${f(p.p50Ms, 1)} ms, max ${f(p.maxMs, 1)} ms, ${p.timeouts} timeouts)`
        : (d.note ?? 'not measured'),
      pass: p ? p.p99Ms <= 1000 && p.timeouts === 0 : null,
    },
    {
      measure: `CPU per request at c=${pg?.concurrency ?? sqlite?.concurrency ?? '–'}, a gateway on PostgreSQL vs one on SQLite`,
      target: 'reported',
      measured: cost
        ? `${f(pg.cpuMsPerRequest / sqlite.cpuMsPerRequest)}× (${f(pg.cpuMsPerRequest, 3)} vs ${f(sqlite.cpuMsPerRequest, 3)} ms), ` +
          `+ ${f(pg.databaseCpuMsPerRequest, 3)} ms in the PostgreSQL server`
        : (d.note ?? 'not measured'),
      pass: null,
    },
  ];
}

/** The section: the two gateways side by side, then the propagation delay. */
export function databaseSection(r: BenchResult): string {
  const d = r.databases;
  if (!d) return 'Not measured (phase not selected).';
  if (d.rows.length === 0 && !d.propagation) return `Not measured: ${d.note ?? 'no result'}.`;
  const rows = d.rows.map((x) => [
    x.database,
    String(x.concurrency),
    int(x.rps),
    f(x.p50Ms, 3),
    f(x.p99Ms, 3),
    f(x.cpuMsPerRequest, 3),
    x.database === 'postgres' ? f(x.databaseCpuMsPerRequest, 3) : '(in the gateway)',
    x.errors || x.badStatus ? `${x.errors} errors, ${x.badStatus} bad status` : '',
  ]);
  const p = d.propagation;
  return [
    `One gateway per database, 10 keys, non-streaming chat, ${r.settings.durationS} s per run × ${r.settings.rounds} interleaved rounds; ` +
      'medians over rounds. PostgreSQL is a throwaway local cluster (fsync off) on the same machine; its CPU is that of the server and its backends.',
    '',
    table(
      ['database', 'c', 'req/s', 'p50 ms', 'p99 ms', 'gateway CPU ms/req', 'database CPU ms/req', 'notes'],
      rows,
    ),
    '',
    p
      ? `Propagation: ${int(p.changes)} changes (a key disabled, then enabled, and so on) through gateway A's admin API, each ` +
        `timed from the request to A until gateway B's \`/healthz\` shows it in B's snapshot: p50 ${f(p.p50Ms, 1)} ms, ` +
        `p99 ${f(p.p99Ms, 1)} ms, max ${f(p.maxMs, 1)} ms, ${p.timeouts} not seen within the timeout.`
      : 'Propagation: not measured.',
  ].join('\n');
}
