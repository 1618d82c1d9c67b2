/**
 * `npm run bench:ab -- <commit> [options]`: CPU per request of this checkout's gateway against the
 * gateway of an older commit, side by side in one run. Both run bundled in front of one mock
 * upstream; each round sends the same fixed number of requests of every row to each, in alternating
 * order, and reads each gateway's CPU time from /proc. The report is the median over rounds of the
 * per-round ratio new/old, so slow moments of a shared machine hit both sides of a ratio alike.
 */
import { parseArgs } from 'node:util';
import { bundleNodeEntry, SERVER_ENTRY } from '../scripts/build-node.js';
import { buildCommit, resolveCommit } from './ab-build.js';
import { AbClient, checkRow, type AbRow, type AbSample } from './ab-load.js';
import { ACCESS_TOKEN, startGateway, type GatewayProcess } from './gateway.js';
import { CHAT_MODEL, EXPECTED, median, workloadRequest } from './matrix.js';
import { startMock } from './phases.js';
import type { Workload } from './types.js';

const USAGE = `npm run bench:ab -- <commit> [options]
  <commit>            the old side (any git revision), built in a temporary directory and cached there
  --new REV           the new side (default: this checkout's working tree)
  --rows LIST         chat,stream,native,embed,responses,messages (default: all; rows the old side
                      does not serve are reported as such)
  --rounds N          alternating rounds (20)        --requests N   requests per row, side and round (3000)
  --warmup N          requests per row and side before the rounds (6000)
  --concurrency N     connections (64)               --keys N       keys each gateway holds (10)
  --stream-chunks N   chunks per streamed answer of the mock (20, as npm run bench)
  --together          load both sides at the same time in each round instead of one after the
                      other: both then share the machine's state of that moment`;

const ALL_ROWS = ['chat', 'stream', 'native', 'embed', 'responses', 'messages'] as const;

function rowOf(name: string): AbRow {
  const json = { 'content-type': 'application/json' };
  if (name === 'native') {
    return {
      name,
      path: `/v1beta/models/${CHAT_MODEL}:generateContent`,
      headers: { ...json, 'x-goog-api-key': ACCESS_TOKEN },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }] }),
      expect: '"candidates"',
    };
  }
  if (!(ALL_ROWS as readonly string[]).includes(name)) throw new Error(`unknown row "${name}"\n${USAGE}`);
  const { path, body } = workloadRequest(name as Workload);
  return {
    name,
    path: `/v1${path}`,
    headers: { ...json, authorization: `Bearer ${ACCESS_TOKEN}` },
    body,
    expect: EXPECTED[name as Workload],
  };
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

function report(rows: AbRow[], samples: Map<string, { old: AbSample[]; new: AbSample[] }>): string {
  const lines = [
    '| row | old ms CPU/req | new ms CPU/req | new/old (median) | q1–q3 | rounds | old req/s | new req/s |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const s = samples.get(row.name)!;
    const ms = (list: AbSample[]) => (median(list.map((x) => x.cpuNsPerRequest)) / 1e6).toFixed(4);
    const rps = (list: AbSample[]) => median(list.map((x) => x.rps)).toFixed(0);
    if (s.old.length === 0) {
      lines.push(`| ${row.name} | not served | ${ms(s.new)} | | | ${s.new.length} | | ${rps(s.new)} |`);
      continue;
    }
    const ratios = s.new.map((n, i) => n.cpuNsPerRequest / (s.old[i] as AbSample).cpuNsPerRequest);
    lines.push(
      `| ${row.name} | ${ms(s.old)} | ${ms(s.new)} | **${median(ratios).toFixed(3)}×** | ` +
        `${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)} | ${ratios.length} | ` +
        `${rps(s.old)} | ${rps(s.new)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      new: { type: 'string' },
      rows: { type: 'string', default: ALL_ROWS.join(',') },
      rounds: { type: 'string', default: '20' },
      requests: { type: 'string', default: '3000' },
      warmup: { type: 'string', default: '6000' },
      concurrency: { type: 'string', default: '64' },
      keys: { type: 'string', default: '10' },
      'stream-chunks': { type: 'string', default: '20' },
      together: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const oldRev = positionals[0];
  if (values.help || !oldRev) {
    console.log(USAGE);
    return;
  }
  const log = (line: string): void => void process.stderr.write(`[bench:ab] ${line}\n`);
  const [rounds, requests, warmup, connections, keys] = [
    values.rounds,
    values.requests,
    values.warmup,
    values.concurrency,
    values.keys,
  ].map(Number) as [number, number, number, number, number];
  const rows = values.rows.split(',').map(rowOf);

  const oldCommit = resolveCommit(oldRev);
  const oldBundle = buildCommit(oldCommit, log);
  const newCommit = values.new ? resolveCommit(values.new) : null;
  const newBundle = newCommit ? buildCommit(newCommit, log) : await bundleNodeEntry(SERVER_ENTRY);
  const mock = await startMock(['--stream-chunks', values['stream-chunks']]);
  const gateways: GatewayProcess[] = [];
  const clients: AbClient[] = [];
  try {
    for (const [name, bundle] of [
      ['gateway-old', oldBundle],
      ['gateway-new', newBundle],
    ] as const) {
      const gw = await startGateway(name, mock.url, keys, { bundle });
      gateways.push(gw);
      clients.push(new AbClient(gw.url, gw.pid, connections));
    }
    const [oldSide, newSide] = clients as [AbClient, AbClient];
    /** Rows the old side does not serve are measured on the new side only. */
    const sidesOf = new Map<string, AbClient[]>();
    for (const row of rows) {
      const problems = await Promise.all(clients.map((c) => checkRow(c.origin, row)));
      if (problems[1]) throw new Error(`new side, row ${row.name}: ${problems[1]}`);
      if (problems[0]) log(`old side does not serve ${row.name} (${problems[0].slice(0, 80)})`);
      sidesOf.set(row.name, problems[0] ? [newSide] : [oldSide, newSide]);
    }
    log(`old ${oldCommit.slice(0, 12)}, new ${newCommit?.slice(0, 12) ?? 'working tree'}; warm-up`);
    for (const row of rows) for (const c of sidesOf.get(row.name)!) await c.run(row, warmup);
    const samples = new Map(rows.map((r) => [r.name, { old: [] as AbSample[], new: [] as AbSample[] }]));
    let failures = 0;
    const ms = (s: AbSample | undefined) => (s ? `${(s.cpuNsPerRequest / 1e6).toFixed(4)} ms` : '-');
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const sides = sidesOf.get(row.name)!;
        const got = new Map<AbClient, AbSample>();
        if (values.together) {
          const results = await Promise.all(sides.map((c) => c.run(row, requests)));
          sides.forEach((c, i) => got.set(c, results[i]!));
        } else {
          for (const c of round % 2 === 0 ? sides : [...sides].reverse())
            got.set(c, await c.run(row, requests));
        }
        const [o, n] = [got.get(oldSide), got.get(newSide)!];
        failures += (o?.failures ?? 0) + n.failures;
        if (o) samples.get(row.name)!.old.push(o);
        samples.get(row.name)!.new.push(n);
        const ratio = o ? `, ×${(n.cpuNsPerRequest / o.cpuNsPerRequest).toFixed(3)}` : '';
        log(`round ${round + 1}/${rounds} ${row.name}: old ${ms(o)}, new ${ms(n)}${ratio}`);
      }
    }
    if (failures > 0) log(`warning: ${failures} requests failed during the rounds`);
    console.log(
      `CPU per request of the gateway process, new (${newCommit?.slice(0, 12) ?? 'working tree'}) ` +
        `against old (${oldCommit.slice(0, 12)}); c=${connections}, ${requests} requests per row, side ` +
        `and round, ${rounds} ${values.together ? 'rounds loading both at once' : 'alternating rounds'}.\n`,
    );
    console.log(report(rows, samples));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(gateways.map((g) => g.stop()));
    await mock.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
