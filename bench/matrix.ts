/**
 * The proxy-overhead matrix: each workload at each concurrency against direct, gateway and nginx,
 * interleaved (one cell of each target back to back, rounds repeated), so the three share the same
 * machine conditions.
 */
import { runLoad, type LoadResult, type LoaderName } from './load.js';
import { cpuMs, sampleRss } from './processes.js';
import type { Cell, TargetName, Workload } from './types.js';

export interface ServerTarget {
  name: TargetName;
  /** Base URL, e.g. http://127.0.0.1:8080/v1beta/openai (no trailing slash). */
  base: string;
  authorization: string;
  /** The process(es) whose CPU and memory count for this target. */
  pids: () => number[];
}

export const CHAT_MODEL = 'gemini-2.5-flash';
const EMBED_MODEL = 'gemini-embedding-001';
const PROMPT = 'Say hello in one short sentence.';

/** Workloads only the gateway serves: the others pass requests through to an endpoint Google has. */
const GATEWAY_ONLY: ReadonlySet<Workload> = new Set([
  'responses',
  'responses-stream',
  'messages',
  'messages-stream',
]);

/**
 * Whether `target` can serve `workload` (direct, nginx and the Node floor have no `/responses` or
 * `/messages`); the key-limits gateway is measured on chat only.
 */
export function serves(target: Pick<ServerTarget, 'name'>, workload: Workload): boolean {
  if (target.name === 'gateway-key-limits') return workload === 'chat';
  return target.name === 'gateway' || !GATEWAY_ONLY.has(workload);
}

/** Path (below the base) and JSON body of one workload. */
export function workloadRequest(workload: Workload): { path: string; body: string } {
  if (workload === 'responses' || workload === 'responses-stream') {
    const body: Record<string, unknown> = { model: CHAT_MODEL, input: PROMPT, store: false };
    if (workload === 'responses-stream') body.stream = true;
    return { path: '/responses', body: JSON.stringify(body) };
  }
  if (workload === 'messages' || workload === 'messages-stream') {
    const body: Record<string, unknown> = {
      model: CHAT_MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: PROMPT }],
    };
    if (workload === 'messages-stream') body.stream = true;
    return { path: '/messages', body: JSON.stringify(body) };
  }
  if (workload === 'embed' || workload === 'embed-base64') {
    const body: Record<string, unknown> = {
      model: EMBED_MODEL,
      input: 'The quick brown fox jumps over the lazy dog.',
    };
    if (workload === 'embed-base64') body.encoding_format = 'base64';
    return { path: '/embeddings', body: JSON.stringify(body) };
  }
  const body: Record<string, unknown> = { model: CHAT_MODEL, messages: [{ role: 'user', content: PROMPT }] };
  if (workload === 'stream') body.stream = true;
  return { path: '/chat/completions', body: JSON.stringify(body) };
}

/** A text each workload's good answer contains. */
export const EXPECTED: Record<Workload, string> = {
  chat: '"chat.completion"',
  stream: '[DONE]',
  embed: '"embedding"',
  'embed-base64': '"embedding"',
  responses: '"object":"response"',
  'responses-stream': 'event: response.completed',
  messages: '"type":"message"',
  'messages-stream': 'event: message_stop',
};

/** One request per target and workload, checked, so a broken setup fails before any load runs. */
export async function preflight(targets: ServerTarget[], workloads: Workload[]): Promise<void> {
  for (const target of targets) {
    for (const workload of workloads) {
      if (!serves(target, workload)) continue;
      const { path, body } = workloadRequest(workload);
      const res = await fetch(target.base + path, {
        method: 'POST',
        headers: { authorization: target.authorization, 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      if (res.status !== 200 || !text.includes(EXPECTED[workload])) {
        throw new Error(`${target.name} ${workload}: ${res.status} ${text.slice(0, 300)}`);
      }
    }
  }
}

/** One load run against `target`, with the target's CPU time and sampled peak RSS. */
export async function measure(
  loader: LoaderName,
  target: ServerTarget,
  workload: Workload,
  connections: number,
  durationS: number,
): Promise<{ result: LoadResult; cpuMs: number; peakRssMb: number }> {
  const { path, body } = workloadRequest(workload);
  const pids = target.pids();
  const cpuBefore = cpuMs(pids);
  const rss = sampleRss(() => pids);
  const result = await runLoad(loader, {
    url: target.base + path,
    body,
    headers: { Authorization: target.authorization, 'Content-Type': 'application/json' },
    connections,
    durationS,
  });
  return { result, cpuMs: cpuMs(pids) - cpuBefore, peakRssMb: rss.stop() };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export interface MatrixOptions {
  workloads: Workload[];
  concurrency: number[];
  durationS: number;
  rounds: number;
  warmupS: number;
  log: (line: string) => void;
}

/** Runs the whole matrix; cells come back in workload, concurrency, target order. */
export async function runMatrix(
  loader: LoaderName,
  targets: ServerTarget[],
  opts: MatrixOptions,
): Promise<Cell[]> {
  const top = Math.max(...opts.concurrency);
  if (opts.warmupS > 0) {
    opts.log(`warm-up: ${opts.warmupS}s per target and workload at c=${top}`);
    for (const workload of opts.workloads) {
      for (const target of targets) {
        if (serves(target, workload)) await measure(loader, target, workload, top, opts.warmupS);
      }
    }
  }
  const acc = new Map<string, { runs: LoadResult[]; cpu: number; rss: number }>();
  const id = (w: Workload, c: number, t: TargetName): string => `${w}/${c}/${t}`;
  for (let round = 0; round < opts.rounds; round++) {
    for (const workload of opts.workloads) {
      for (const c of opts.concurrency) {
        // Rotate who goes first each round, so no target always runs on a warmer or cooler machine.
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as ServerTarget);
        for (const target of order) {
          if (!serves(target, workload)) continue;
          const m = await measure(loader, target, workload, c, opts.durationS);
          const entry = acc.get(id(workload, c, target.name)) ?? { runs: [], cpu: 0, rss: 0 };
          entry.runs.push(m.result);
          entry.cpu += m.cpuMs;
          entry.rss = Math.max(entry.rss, m.peakRssMb);
          acc.set(id(workload, c, target.name), entry);
          opts.log(
            `round ${round + 1}/${opts.rounds} ${workload} c=${c} ${target.name}: ` +
              `${m.result.rps.toFixed(0)} req/s, p50 ${m.result.p50Ms.toFixed(2)} ms, p99 ${m.result.p99Ms.toFixed(2)} ms`,
          );
        }
      }
    }
  }
  const cells: Cell[] = [];
  for (const workload of opts.workloads) {
    for (const concurrency of opts.concurrency) {
      for (const target of targets) {
        const entry = acc.get(id(workload, concurrency, target.name));
        if (!entry) continue;
        const requests = entry.runs.reduce((s, r) => s + r.requests, 0);
        cells.push({
          workload,
          concurrency,
          target: target.name,
          rps: median(entry.runs.map((r) => r.rps)),
          p50Ms: median(entry.runs.map((r) => r.p50Ms)),
          p99Ms: median(entry.runs.map((r) => r.p99Ms)),
          requests,
          errors: entry.runs.reduce((s, r) => s + r.errors, 0),
          badStatus: entry.runs.reduce((s, r) => s + r.badStatus, 0),
          cpuMsPerRequest: requests > 0 ? entry.cpu / requests : 0,
          peakRssMb: entry.rss,
          runs: entry.runs,
        });
      }
    }
  }
  return cells;
}
