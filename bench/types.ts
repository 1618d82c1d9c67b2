/** The shape of a benchmark run, as saved in bench/results/*.json. */
import type { LoadResult } from './load.js';
import type { Propagation } from './propagation.js';
import type { PickCost } from './scale.js';
import type { ChunkDelay, OpenStreams } from './streams.js';

/**
 * `embed-base64`: embeddings as the official SDKs ask by default; the gateway encodes Google's floats.
 * `responses*`: `/v1/responses`; `messages*`: `/v1/messages`. Only the gateway serves them (it
 * translates them to Gemini's native API).
 */
export type Workload =
  | 'chat'
  | 'stream'
  | 'embed'
  | 'embed-base64'
  | 'responses'
  | 'responses-stream'
  | 'messages'
  | 'messages-stream';
/**
 * `node-floor`: a bare Node pass-through proxy (bench/node-floor.ts), the least a Node proxy costs.
 * `gateway-limits`: the same gateway process as `gateway`, called with an access token that has every
 * rule set (allow-list, rpm, rpd, tpm, tpd, expiry), limits too high to be reached.
 * `gateway-key-limits`: a second gateway process with the shared local key limits on (rpm and rpd
 * too high to be reached), so each attempt reserves its key's request in SQLite first; chat only.
 */
export type TargetName =
  'direct' | 'gateway' | 'gateway-limits' | 'gateway-key-limits' | 'node-floor' | 'nginx';

/** One measured cell over its rounds. */
interface Measured {
  concurrency: number;
  /** Medians over the rounds (requests, or units of a resource row, per second). */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests (or units) completed, all rounds. */
  requests: number;
  errors: number;
  badStatus: number;
  /** CPU time of the serving process (the mock for direct) divided by requests (or units), all rounds. */
  cpuMsPerRequest: number;
  runs: LoadResult[];
}

export interface Cell extends Measured {
  workload: Workload;
  target: TargetName;
  /** Highest RSS of the serving process sampled during the cell. */
  peakRssMb: number;
}

/**
 * The resource routes' rows (bench/resources.ts): `chat` and `generate` are the baselines beside
 * `generate-file` (generateContent naming an uploaded file, served by its owner), `upload` (a
 * resumable upload: start, then one chunk that finalizes), `files-get`, `files-list` (merged over
 * the owning keys) and `cache-create`.
 */
export type ResourceWorkload =
  'chat' | 'generate' | 'generate-file' | 'upload' | 'files-get' | 'files-list' | 'cache-create';

export interface ResourceRow extends Measured {
  workload: ResourceWorkload;
  /** HTTP calls in one unit (an upload is two); rates, latencies and CPU are per unit. */
  calls: number;
  /** `reads`: the gateway whose ownership records stay fixed; `writes`: the one uploads and caches grow. */
  gateway: 'reads' | 'writes';
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
  /** Usage rows in the SQLite file the usage queries run against. */
  usageRows: number;
  /** Key changes made through one gateway and timed until another shows them (PostgreSQL). */
  propagationChanges: number;
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
  usageQueries: UsageQueryTiming[];
  /** Empty when the resources phase did not run. */
  resources: ResourceRow[];
  /** One gateway on PostgreSQL against one on SQLite, and the propagation delay; null: phase not run. */
  databases: DatabaseComparison | null;
  targets: TargetCheck[];
}

/**
 * The non-streaming chat workload through one gateway on one database, interleaved rounds;
 * `cpuMsPerRequest` is the gateway process's.
 */
export interface DatabaseRow extends Measured {
  database: 'sqlite' | 'postgres';
  /** CPU time of the PostgreSQL server's processes per request (0 for SQLite, which runs inside the gateway). */
  databaseCpuMsPerRequest: number;
}

export interface DatabaseComparison {
  rows: DatabaseRow[];
  propagation: Propagation | null;
  /** Why something was not measured (e.g. no PostgreSQL on the machine). */
  note: string | null;
}

/** One usage page or stats query over `rows` usage rows in SQLite. */
export interface UsageQueryTiming {
  query: string;
  rows: number;
  medianMs: number;
  maxMs: number;
}
