/** Targets, the markdown report and the saved files in bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { databaseSection, databaseTargets } from './databases-report.js';
import { f, int, table } from './markdown.js';
import { UPLOAD_BYTES } from './resources.js';
import type { BenchResult, Cell, ResourceRow, TargetCheck, TargetName, Workload } from './types.js';

function cell(cells: Cell[], workload: Workload, c: number, target: TargetName): Cell | undefined {
  return cells.find((x) => x.workload === workload && x.concurrency === c && x.target === target);
}

/** The issue's targets, each with its measured value and pass/fail (null when not measured). */
export function checkTargets(r: Omit<BenchResult, 'targets'>): TargetCheck[] {
  const top = Math.max(...r.settings.concurrency);
  const low = Math.min(...r.settings.concurrency);
  const gw = cell(r.cells, 'chat', top, 'gateway');
  const ng = cell(r.cells, 'chat', top, 'nginx');
  const ratio = gw && ng && ng.rps > 0 ? gw.rps / ng.rps : null;
  const gw1 = cell(r.cells, 'chat', low, 'gateway');
  const direct1 = cell(r.cells, 'chat', low, 'direct');
  const added = gw1 && direct1 ? gw1.p50Ms - direct1.p50Ms : null;
  const scale = r.keyScale.throughput;
  const fewest = scale[0];
  const most = scale.at(-1);
  const slowdown = fewest && most && most !== fewest && most.rps > 0 ? fewest.rps / most.rps : null;
  const delay = r.chunkDelay.gateway;
  const plain = cell(r.cells, 'chat', top, 'gateway');
  const limits = cell(r.cells, 'chat', top, 'gateway-limits');
  const limitCost =
    plain && limits && plain.cpuMsPerRequest > 0 ? limits.cpuMsPerRequest / plain.cpuMsPerRequest : null;
  const keyLimits = cell(r.cells, 'chat', top, 'gateway-key-limits');
  const keyLimitCost =
    plain && keyLimits && plain.cpuMsPerRequest > 0
      ? keyLimits.cpuMsPerRequest / plain.cpuMsPerRequest
      : null;
  const open = r.openStreams;
  const usage = r.usageQueries;
  const slowest = usage.length ? usage.reduce((a, b) => (b.medianMs > a.medianMs ? b : a)) : null;
  return [
    ...translatedCpu(r),
    ...ownerRoutedCpu(r),
    {
      measure: `non-streaming throughput at c=${top}, usage tracking on`,
      target: '≥ 50% of nginx proxy_pass',
      measured:
        ratio === null ? 'no nginx' : `${f(ratio * 100, 0)}% (${int(gw!.rps)} vs ${int(ng!.rps)} req/s)`,
      pass: ratio === null ? null : ratio >= 0.5,
    },
    {
      measure: `added p50 latency (gateway minus direct) at c=${low}`,
      target: '≤ 1 ms',
      measured: added === null ? 'not measured' : `${f(added, 3)} ms`,
      pass: added === null ? null : added <= 1,
    },
    {
      measure: `throughput, ${int(Math.max(...r.settings.scaleKeys))} keys vs ${int(Math.min(...r.settings.scaleKeys))} keys`,
      target: 'within 1.5×',
      measured:
        slowdown === null
          ? 'not measured'
          : `${f(slowdown)}× (${int(most!.rps)} vs ${int(fewest!.rps)} req/s)`,
      pass: slowdown === null ? null : slowdown <= 1.5,
    },
    {
      measure: `CPU per request at c=${top}, a token with every limit vs a token with none`,
      target: '≤ 1.10×',
      measured:
        limitCost === null
          ? 'not measured'
          : `${f(limitCost)}× (${f(limits!.cpuMsPerRequest * 1000, 0)} vs ${f(plain!.cpuMsPerRequest * 1000, 0)} µs)`,
      pass: limitCost === null ? null : limitCost <= 1.1,
    },
    {
      measure: `CPU per request at c=${top}, shared local key limits on vs off (a SQLite reservation per attempt)`,
      target: 'measured (documented in README)',
      measured:
        keyLimitCost === null
          ? 'not measured'
          : `${f(keyLimitCost)}× (${f(keyLimits!.cpuMsPerRequest * 1000, 0)} vs ${f(plain!.cpuMsPerRequest * 1000, 0)} µs; ${int(keyLimits!.rps)} vs ${int(plain!.rps)} req/s)`,
      pass: null,
    },
    {
      measure: 'stream chunk delay (upstream send to client receipt)',
      target: 'p99 ≤ 2 ms',
      measured: delay ? `p99 ${f(delay.p99Ms, 3)} ms (p50 ${f(delay.p50Ms, 3)} ms)` : 'not measured',
      pass: delay ? delay.p99Ms <= 2 : null,
    },
    {
      measure: `${int(r.settings.openStreams)} concurrent open streams`,
      target: 'under 300 MB RSS',
      measured: open
        ? `${f(open.rssPeakMb, 0)} MB peak RSS, ${int(open.maxOpen)} open at once, ${int(open.completed)} completed`
        : 'not measured',
      pass: open
        ? open.rssPeakMb < 300 && open.maxOpen === open.requested && open.completed === open.requested
        : null,
    },
    {
      measure: `usage page and stats queries, ${slowest ? int(slowest.rows) : '–'} usage rows (SQLite)`,
      target: 'each under 200 ms',
      measured: slowest ? `slowest: ${slowest.query}, ${f(slowest.medianMs, 1)} ms median` : 'not measured',
      pass: slowest ? slowest.medianMs < 200 : null,
    },
    ...databaseTargets(r),
  ];
}

/**
 * CPU per request of the translated `/v1/responses` and `/v1/messages` against the pass-through chat route it stands
 * beside (buffered against buffered, streamed against streamed), at each concurrency measured.
 */
function translatedCpu(r: Omit<BenchResult, 'targets'>): TargetCheck[] {
  const pairs: Array<[Workload, Workload]> = [
    ['responses', 'chat'],
    ['responses-stream', 'stream'],
    ['messages', 'chat'],
    ['messages-stream', 'stream'],
  ];
  return pairs.flatMap(([translated, base]) =>
    r.settings.concurrency.flatMap((c): TargetCheck[] => {
      const t = cell(r.cells, translated, c, 'gateway');
      const b = cell(r.cells, base, c, 'gateway');
      if (!t || !b) return [];
      const ratio = b.cpuMsPerRequest > 0 ? t.cpuMsPerRequest / b.cpuMsPerRequest : null;
      return [
        {
          measure: `gateway CPU per request, ${translated} vs ${base} at c=${c}`,
          target: 'within 1.5×',
          measured:
            ratio === null
              ? 'not measured'
              : `${f(ratio)}× (${f(t.cpuMsPerRequest, 3)} vs ${f(b.cpuMsPerRequest, 3)} ms)`,
          pass: ratio === null ? null : ratio <= 1.5,
        },
      ];
    }),
  );
}

/** CPU per request of generateContent naming an uploaded file (owner-routed) against the same without one. */
function ownerRoutedCpu(r: Omit<BenchResult, 'targets'>): TargetCheck[] {
  const routed = r.resources.find((x) => x.workload === 'generate-file');
  const plain = r.resources.find((x) => x.workload === 'generate');
  if (!routed || !plain) return [];
  const ratio = plain.cpuMsPerRequest > 0 ? routed.cpuMsPerRequest / plain.cpuMsPerRequest : null;
  return [
    {
      measure: `gateway CPU per request, generateContent naming an uploaded file vs none at c=${routed.concurrency}`,
      target: 'within 1.25×',
      measured:
        ratio === null
          ? 'not measured'
          : `${f(ratio)}× (${f(routed.cpuMsPerRequest, 3)} vs ${f(plain.cpuMsPerRequest, 3)} ms)`,
      pass: ratio === null ? null : ratio <= 1.25,
    },
  ];
}

const mark = (pass: boolean | null): string => (pass === null ? '–' : pass ? 'pass' : '**FAIL**');

function overheadTable(r: BenchResult): string {
  const rows = r.cells.map((c) => {
    const direct = cell(r.cells, c.workload, c.concurrency, 'direct');
    const nginx = cell(r.cells, c.workload, c.concurrency, 'nginx');
    const floor = cell(r.cells, c.workload, c.concurrency, 'node-floor');
    const added =
      c.target !== 'direct' && direct
        ? `${c.p50Ms - direct.p50Ms >= 0 ? '+' : ''}${f(c.p50Ms - direct.p50Ms, 3)}`
        : '';
    const share = (of: Cell | undefined): string =>
      c.target === 'gateway' && of && of.rps > 0 ? `${f((c.rps / of.rps) * 100, 0)}%` : '';
    const flags = c.errors || c.badStatus ? ` (${c.errors} errors, ${c.badStatus} bad status)` : '';
    return [
      c.workload,
      String(c.concurrency),
      c.target + flags,
      int(c.rps),
      f(c.p50Ms, 3),
      f(c.p99Ms, 3),
      added,
      share(nginx),
      share(floor),
      f(c.cpuMsPerRequest, 3),
      f(c.peakRssMb, 0),
    ];
  });
  const head = [
    'workload',
    'c',
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    '+p50 vs direct',
    'gateway/nginx',
    'gateway/node floor',
  ];
  return table([...head, 'CPU ms/req', 'peak RSS MB'], rows, 3);
}

function pickTable(r: BenchResult): string {
  const sizes = [...new Set(r.keyScale.pickCost.map((p) => p.keys))];
  const groups = [...new Set(r.keyScale.pickCost.map((p) => `${p.strategy}|${p.cooling}`))];
  const rows = groups.map((g) => {
    const [strategy, cooling] = g.split('|') as [string, string];
    const costs = sizes.map((k) => {
      const p = r.keyScale.pickCost.find((x) => `${x.strategy}|${x.cooling}` === g && x.keys === k);
      return p ? int(p.nsPerPick) : '';
    });
    return [strategy, `${f(Number(cooling) * 100, 0)}%`, ...costs];
  });
  return table(['strategy', 'keys cooling', ...sizes.map((k) => `${int(k)} keys`)], rows, 2);
}

function scaleTable(r: BenchResult): string {
  const base = r.keyScale.throughput[0];
  const rows = r.keyScale.throughput.map((s) => [
    int(s.keys),
    int(s.rps),
    f(s.p50Ms, 3),
    f(s.p99Ms, 3),
    base && s.rps > 0 ? `${f(base.rps / s.rps)}×` : '',
    f(s.cpuMsPerRequest, 3),
    f(s.importSeconds, 1),
  ]);
  return table(['keys', 'req/s', 'p50 ms', 'p99 ms', 'slowdown vs fewest', 'CPU ms/req', 'import s'], rows);
}

function streamSection(r: BenchResult): string {
  const s = r.settings;
  const delays = (
    Object.entries(r.chunkDelay) as [TargetName, NonNullable<BenchResult['chunkDelay'][TargetName]>][]
  ).map(([name, d]) => [
    name,
    int(d.chunks),
    f(d.p50Ms, 3),
    f(d.p99Ms, 3),
    f(d.maxMs, 3),
    String(d.failures),
  ]);
  const o = r.openStreams;
  return [
    `Chunk delay: ${s.delayStreams} concurrent streams of ${s.delayChunks} chunks, ${s.delayIntervalMs} ms apart, ` +
      `for ${s.delayDurationS} s per path in each of ${s.rounds} interleaved rounds${s.warmupS > 0 ? `, after ${s.warmupS} s of the same per path as warm-up` : ''}; quantiles over all rounds' chunks. ` +
      `Each chunk carries the upstream's send time (monotonic clock, shared by all processes).`,
    '',
    table(['path', 'chunks', 'p50 ms', 'p99 ms', 'max ms', 'failed streams'], delays),
    '',
    o
      ? `Open streams: ${int(o.requested)} streams of ${s.openChunks} chunks, ${s.openIntervalMs} ms apart, opened at once ` +
        `through the gateway. At most ${int(o.maxOpen)} were open at the same time; ${int(o.completed)} completed, ` +
        `${int(o.failed)} failed, in ${f(o.seconds, 1)} s. Gateway RSS: ${f(o.rssBeforeMb, 0)} MB before, ` +
        `${f(o.rssAtMaxOpenMb, 0)} MB with the most open, ${f(o.rssPeakMb, 0)} MB peak (VmHWM ${f(o.hwmMb, 0)} MB).`
      : 'Open streams: not measured.',
  ].join('\n');
}

const RESOURCE_WHAT: Record<ResourceRow['workload'], string> = {
  chat: 'POST /v1/chat/completions (the chat row, this load generator)',
  generate: 'POST /v1beta/models/{m}:generateContent, text only',
  'generate-file': 'the same naming an uploaded file (served by its owner)',
  upload: `resumable upload: start, then one ${UPLOAD_BYTES / 1024} KiB chunk with finalize`,
  'files-get': 'GET /v1beta/files/{id} (served by its owner)',
  'files-list': 'GET /v1beta/files, first page of the list merged over the owning keys',
  'cache-create': 'POST /v1beta/cachedContents',
};

function resourcesSection(r: BenchResult): string {
  const rows = r.resources;
  const chat = rows.find((x) => x.workload === 'chat');
  if (!chat) return 'Not measured.';
  const matrixChat = cell(r.cells, 'chat', chat.concurrency, 'gateway');
  const ratio = (a: number, b: number): string => (b > 0 ? `${f(a / b)}×` : '');
  const body = rows.map((x) => {
    const flags = x.errors || x.badStatus ? ` (${x.errors} errors, ${x.badStatus} bad status)` : '';
    return [
      x.workload + flags,
      RESOURCE_WHAT[x.workload],
      String(x.calls),
      x.gateway,
      int(x.rps),
      f(x.p50Ms, 3),
      f(x.p99Ms, 3),
      f(x.cpuMsPerRequest, 3),
      ratio(x.cpuMsPerRequest, chat.cpuMsPerRequest),
      ratio(x.rps, chat.rps),
    ];
  });
  const reference = matrixChat
    ? ` For reference, the proxy-overhead matrix's chat row at c=${chat.concurrency} (${r.loader.name}): ${int(matrixChat.rps)} req/s, ${f(matrixChat.cpuMsPerRequest, 3)} CPU ms/req.`
    : '';
  return `Each row runs c=${chat.concurrency} closed loops of one unit (its HTTP calls in order) from one in-process load generator (bench/unit-load.ts), ${r.settings.durationS} s per cell × ${r.settings.rounds} rounds, interleaved; rates and CPU are per unit, and the ratios are against the chat row measured the same way. Ten keys, each its own project; ${'`'}reads${'`'} rows run on a gateway holding 20 uploaded files spread over the keys, ${'`'}writes${'`'} rows on a second gateway of the same build, so the records they add do not change what the reads rows read.${reference}

${table(
  [
    'workload',
    'what',
    'calls',
    'gateway',
    'units/s',
    'p50 ms',
    'p99 ms',
    'CPU ms/unit',
    'CPU vs chat',
    'units/s vs chat',
  ],
  body,
  4,
)}`;
}

/** The whole run as markdown. */
function usageSection(r: BenchResult): string {
  if (r.usageQueries.length === 0) return 'Not measured.';
  return `SQLite file with ${int(r.usageQueries[0]!.rows)} usage rows over 8 days, rolled up but for the last two hours; ${'`'}SqlUsageStore${'`'} calls as the admin API makes them; 7 runs each after one warm-up (bench/usage-queries.ts).

${table(
  ['query', 'median ms', 'max ms'],
  r.usageQueries.map((q) => [q.query, f(q.medianMs, 1), f(q.maxMs, 1)]),
)}`;
}

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine;
  const s = r.settings;
  const nginx = r.nginx
    ? `nginx ${r.nginx.version}, \`worker_processes ${r.nginx.workerProcesses}\``
    : 'nginx not installed';
  return `# Benchmark ${r.date.slice(0, 10)} (${r.commit}${r.dirty ? ', uncommitted changes' : ''})${s.smoke ? ' — smoke run' : ''}

Machine: ${m.cpu}, ${m.cores} cores, ${f(m.memoryGb, 0)} GB, ${m.os}, Node ${m.node}. Load average ${m.loadAvgStart.map((x) => f(x)).join(' ')} at start, ${m.loadAvgEnd.map((x) => f(x)).join(' ')} at end.
Load generator: ${r.loader.name} (${r.loader.version}); ${nginx}. All servers and the load generator share the machine.
Command: \`${r.command}\`

## Targets

${table(
  ['measure', 'target', 'measured', 'result'],
  r.targets.map((t) => [t.measure, t.target, t.measured, mark(t.pass)]),
  4,
)}

## Proxy overhead

${s.durationS} s per cell × ${s.rounds} rounds, interleaved; medians over rounds. Streams have ${s.streamChunks} chunks. Gateway: Node, SQLite, usage tracking on. Node floor: a bare node:http + undici pass-through proxy with no logic (bench/node-floor.ts). CPU and RSS are the serving process's (the mock's for direct; master + workers for nginx).

${overheadTable(r)}

## Resource routes

${resourcesSection(r)}

## Key scale

Selection cost, ns per \`KeyPool.pick\` + \`markUsed\` (in process, best of three):

${pickTable(r)}

Gateway throughput by pool size (non-streaming chat, c=${s.scaleConcurrency}, interleaved):

${scaleTable(r)}

## Streaming

${streamSection(r)}

## Usage queries

${usageSection(r)}

## PostgreSQL

${databaseSection(r)}
`;
}

/** Writes `<date>-<sha>.json`, `<date>-<sha>.md` and `latest.md` into `dir`; returns the paths. */
export function saveResults(r: BenchResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, `${r.date.slice(0, 10)}-${r.commit}`);
  const md = renderMarkdown(r);
  writeFileSync(`${stem}.json`, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(`${stem}.md`, md);
  writeFileSync(join(dir, 'latest.md'), md);
  return [`${stem}.json`, `${stem}.md`, join(dir, 'latest.md')];
}
