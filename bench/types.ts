/** The shape of a benchmark run, as saved in bench/results/*.json. */
import type { LoadResult } from './load.js';
import type { PickCost } from './scale.js';
import type { ChunkDelay, OpenStreams } from './streams.js';

/** `responses*`: `/v1/responses`, which only the gateway serves (it translates to Gemini's native API). */
export type Workload = 'chat' | 'stream' | 'embed' | 'responses' | 'responses-stream';
/** `node-floor`: a bare Node pass-through proxy (bench/node-floor.ts), the least a Node proxy costs. */
export type TargetName = 'direct' | 'gateway' | 'node-floor' | 'nginx';

export interface Cell {
  workload: Workload;
  concurrency: number;
  target: TargetName;
  /** Medians over the rounds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  badStatus: number;
  /** CPU time of the serving process (the mock for direct) divided by requests, all rounds. */
  cpuMsPerRequest: number;
  /** Highest RSS of the serving process sampled during the cell. */
  peakRssMb: number;
  runs: LoadResult[];
}

export interface KeyScaleRow {
  keys: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  importSeconds: number;
  runs: LoadResult[];
}

export interface TargetCheck {
  measure: string;
  target: string;
  measured: string;
  /** null: not measured in this run (e.g. no nginx). */
  pass: boolean | null;
}

export interface BenchSettings {
  smoke: boolean;
  durationS: number;
  rounds: number;
  warmupS: number;
  workloads: Workload[];
  concurrency: number[];
  streamChunks: number;
  scaleKeys: number[];
  scaleConcurrency: number;
  pickBudgetMs: number;
  delayStreams: number;
  delayDurationS: number;
  delayChunks: number;
  delayIntervalMs: number;
  openStreams: number;
  openChunks: number;
  openIntervalMs: number;
  nginxWorkers: string;
  phases: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface BenchResult {
  version: 1;
  date: string;
  commit: string;
  /** Uncommitted changes in src/ when the run started. */
  dirty: boolean;
  command: string;
  machine: Machine;
  loader: { name: string; version: string };
  nginx: { version: string; workerProcesses: string } | null;
  settings: BenchSettings;
  cells: Cell[];
  keyScale: { pickCost: PickCost[]; throughput: KeyScaleRow[] };
  chunkDelay: Partial<Record<TargetName, ChunkDelay>>;
  openStreams: OpenStreams | null;
  targets: TargetCheck[];
}
