/**
 * Streaming measures: how long a chunk takes from the upstream's write to the client (against
 * bench/stamp-upstream.ts, which stamps each chunk with the machine-wide monotonic clock), and the
 * gateway's memory while many slow streams are open at once.
 */
import { Agent, request } from 'node:http';
import { peakRssMb, rssMb } from './processes.js';

export interface Endpoint {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Posts `ep` and feeds each received piece of the body, with its receive time, to `onData`. */
function postStream(
  ep: Endpoint,
  agent: Agent,
  onHeaders: (status: number) => void,
  onData: (text: string, receivedNs: bigint) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(ep.url, { method: 'POST', agent, headers: ep.headers }, (res) => {
      onHeaders(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (text: string) => onData(text, process.hrtime.bigint()));
      res.once('end', resolve);
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(ep.body);
  });
}

/** The value at quantile `q` (0..1) of sorted `values`. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export interface ChunkDelay {
  chunks: number;
  streams: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Chunk delays collected over one or more runs against one path. */
export interface DelaySample {
  delays: number[];
  streams: number;
  failures: number;
}

export const emptyDelaySample = (): DelaySample => ({ delays: [], streams: 0, failures: 0 });

/** Runs `concurrency` back-to-back streams for `durationS` and adds every chunk's delay to `into`. */
export async function sampleChunkDelay(
  ep: Endpoint,
  concurrency: number,
  durationS: number,
  into: DelaySample,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + durationS * 1000;
  const stamp = /sent:(\d+)"/g;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      let pending = '';
      let status = 0;
      try {
        await postStream(
          ep,
          agent,
          (s) => (status = s),
          (text, receivedNs) => {
            pending += text;
            let match: RegExpExecArray | null;
            let consumed = 0;
            stamp.lastIndex = 0;
            while ((match = stamp.exec(pending)) !== null) {
              into.delays.push(Number(receivedNs - BigInt(match[1] as string)) / 1e6);
              consumed = stamp.lastIndex;
            }
            pending = pending.slice(consumed);
          },
        );
        if (status === 200) into.streams += 1;
        else into.failures += 1;
      } catch {
        into.failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  agent.destroy();
}

export function summariseChunkDelay(sample: DelaySample): ChunkDelay {
  const delays = [...sample.delays].sort((a, b) => a - b);
  return {
    chunks: delays.length,
    streams: sample.streams,
    failures: sample.failures,
    p50Ms: quantile(delays, 0.5),
    p99Ms: quantile(delays, 0.99),
    maxMs: delays.at(-1) ?? 0,
  };
}

export interface OpenStreams {
  requested: number;
  completed: number;
  failed: number;
  /** Most streams open at the same moment (headers received, body not ended). */
  maxOpen: number;
  /** Gateway RSS before the streams, and the highest seen while they ran. */
  rssBeforeMb: number;
  rssPeakMb: number;
  /** Gateway RSS sampled at the moment the most streams were open. */
  rssAtMaxOpenMb: number;
  /** The gateway's lifetime peak (VmHWM) after the run. */
  hwmMb: number;
  seconds: number;
}

/** Opens `count` slow streams at once through `ep` and follows `pids`' memory while they run. */
export async function measureOpenStreams(
  ep: Endpoint,
  count: number,
  pids: () => number[],
): Promise<OpenStreams> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const started = Date.now();
  const rssBeforeMb = rssMb(pids());
  let open = 0;
  let maxOpen = 0;
  let rssPeakMb = rssBeforeMb;
  let rssAtMaxOpenMb = rssBeforeMb;
  const sampler = setInterval(() => {
    const rss = rssMb(pids());
    rssPeakMb = Math.max(rssPeakMb, rss);
    if (open === maxOpen && open > 0) rssAtMaxOpenMb = Math.max(rssAtMaxOpenMb, rss);
  }, 50);
  let completed = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      let status = 0;
      let tail = '';
      try {
        await postStream(
          ep,
          agent,
          (s) => {
            status = s;
            open += 1;
            maxOpen = Math.max(maxOpen, open);
          },
          (text) => (tail = (tail + text).slice(-32)),
        );
        if (status === 200 && tail.includes('[DONE]')) completed += 1;
        else failed += 1;
      } catch {
        failed += 1;
      } finally {
        if (status !== 0) open -= 1;
      }
    }),
  );
  clearInterval(sampler);
  agent.destroy();
  return {
    requested: count,
    completed,
    failed,
    maxOpen,
    rssBeforeMb,
    rssPeakMb,
    rssAtMaxOpenMb,
    hwmMb: peakRssMb(pids()),
    seconds: (Date.now() - started) / 1000,
  };
}
