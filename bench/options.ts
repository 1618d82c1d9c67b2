/**
 * Benchmark settings from flags, or from BENCH_* environment variables (flag `--delay-streams` ↔
 * `BENCH_DELAY_STREAMS`). `--smoke` starts from tiny defaults, for CI.
 */
import { parseArgs } from 'node:util';
import type { BenchSettings, Workload } from './types.js';

export interface RunOptions extends Omit<BenchSettings, 'phases'> {
  loader: string | undefined;
  nginx: boolean;
  outDir: string | undefined;
  phases: Set<(typeof PHASES)[number]>;
}

type Numeric = {
  [K in keyof BenchSettings]: BenchSettings[K] extends number ? K : never;
}[keyof BenchSettings];

const NUMBERS: Record<Numeric, { flag: string; full: number; smoke: number }> = {
  durationS: { flag: 'duration', full: 4, smoke: 1 },
  rounds: { flag: 'rounds', full: 3, smoke: 1 },
  warmupS: { flag: 'warmup', full: 5, smoke: 0 },
  streamChunks: { flag: 'stream-chunks', full: 20, smoke: 20 },
  scaleConcurrency: { flag: 'scale-concurrency', full: 64, smoke: 8 },
  pickBudgetMs: { flag: 'pick-budget-ms', full: 100, smoke: 5 },
  delayStreams: { flag: 'delay-streams', full: 8, smoke: 2 },
  delayDurationS: { flag: 'delay-duration', full: 3, smoke: 1 },
  delayChunks: { flag: 'delay-chunks', full: 20, smoke: 5 },
  delayIntervalMs: { flag: 'delay-interval-ms', full: 10, smoke: 10 },
  openStreams: { flag: 'open-streams', full: 1000, smoke: 50 },
  openChunks: { flag: 'open-chunks', full: 50, smoke: 5 },
  openIntervalMs: { flag: 'open-interval-ms', full: 100, smoke: 200 },
  usageRows: { flag: 'usage-rows', full: 1_000_000, smoke: 20_000 },
  propagationChanges: { flag: 'propagation-changes', full: 1000, smoke: 20 },
};

const LISTS = {
  workloads: {
    flag: 'workloads',
    full: 'chat,stream,embed,embed-base64,responses,responses-stream,messages,messages-stream',
    smoke: 'chat,stream,embed,embed-base64,responses,responses-stream,messages,messages-stream',
  },
  concurrency: { flag: 'concurrency', full: '1,64', smoke: '1,8' },
  scaleKeys: { flag: 'scale-keys', full: '10,10000,100000', smoke: '10,1000' },
} as const;

const PHASES = ['matrix', 'resources', 'scale', 'delay', 'open', 'usage', 'postgres'] as const;
const WORKLOADS: readonly Workload[] = [
  'chat',
  'stream',
  'embed',
  'embed-base64',
  'responses',
  'responses-stream',
  'messages',
  'messages-stream',
];

export const USAGE = `npm run bench [-- options]     (npm run bench:smoke for the tiny CI run)
  --smoke                  tiny run: 1 s cells, fewer cells, results to a temp dir
  --duration S             seconds per load cell (4)          --rounds N      interleaved rounds (3)
  --warmup S               warm-up per target and workload, so V8 has compiled the hot path (5)
  --workloads LIST         chat,stream,embed,embed-base64,responses,responses-stream,messages,messages-stream
  --concurrency LIST       1,64
  --stream-chunks N        chunks per streamed reply (20)
  --scale-keys LIST        10,10000,100000                     --scale-concurrency N  64
  --pick-budget-ms MS      time per selection-cost sample (100)
  --delay-streams N --delay-duration S (per path and round) --delay-chunks N --delay-interval-ms MS   (8, 3, 20, 10)
  --open-streams N --open-chunks N --open-interval-ms MS                        (1000, 50, 100)
  --usage-rows N           usage rows for the usage-queries phase (1000000)
  --propagation-changes N  key changes timed from one gateway to another on PostgreSQL (1000)
  --loader wrk|autocannon  default: wrk when installed
  --no-nginx               skip nginx even when installed      --nginx-workers N|auto  (1)
  --phases LIST            matrix,resources,scale,delay,open,usage,postgres  --out DIR  (bench/results)
Every option can also be set as BENCH_<NAME> (e.g. BENCH_DURATION=10).`;

const envName = (flag: string): string => `BENCH_${flag.replace(/-/g, '_').toUpperCase()}`;

function positive(name: string, raw: string, allowZero: boolean): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new Error(`--${name} must be a whole number, got "${raw}"`);
  return n;
}

/** Parses `argv` (without node and the script) and the BENCH_* variables of `env`. */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv): RunOptions {
  const stringFlags = [
    ...Object.values(NUMBERS).map((n) => n.flag),
    ...Object.values(LISTS).map((l) => l.flag),
    'loader',
    'nginx-workers',
    'out',
    'phases',
  ];
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(stringFlags.map((flag) => [flag, { type: 'string' as const }])),
      smoke: { type: 'boolean' },
      'no-nginx': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const smoke = values.smoke === true || env.BENCH_SMOKE === '1';
  const flags = values as Record<string, string | boolean | undefined>;
  const get = (flag: string): string | undefined => (flags[flag] as string | undefined) ?? env[envName(flag)];
  const numbers = Object.fromEntries(
    (Object.entries(NUMBERS) as [Numeric, (typeof NUMBERS)[Numeric]][]).map(([key, spec]) => {
      const raw = get(spec.flag);
      const allowZero = key === 'warmupS';
      return [
        key,
        raw === undefined ? (smoke ? spec.smoke : spec.full) : positive(spec.flag, raw, allowZero),
      ];
    }),
  ) as Record<Numeric, number>;
  const list = (key: keyof typeof LISTS): string[] =>
    (get(LISTS[key].flag) ?? (smoke ? LISTS[key].smoke : LISTS[key].full))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const workloads = list('workloads');
  for (const w of workloads)
    if (!WORKLOADS.includes(w as Workload)) throw new Error(`unknown workload "${w}"`);
  const phases = (get('phases') ?? PHASES.join(',')).split(',').map((s) => s.trim());
  for (const p of phases) if (!PHASES.includes(p as never)) throw new Error(`unknown phase "${p}"`);
  return {
    ...numbers,
    smoke,
    workloads: workloads as Workload[],
    concurrency: list('concurrency').map((c) => positive('concurrency', c, false)),
    scaleKeys: list('scaleKeys').map((k) => positive('scale-keys', k, false)),
    nginxWorkers: get('nginx-workers') ?? '1',
    loader: get('loader'),
    nginx: !(values['no-nginx'] === true || env.BENCH_NO_NGINX === '1'),
    outDir: get('out'),
    phases: new Set(phases as (typeof PHASES)[number][]),
  };
}
