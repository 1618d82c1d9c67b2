/**
 * Four parts of a run, each starting the processes it needs and stopping them after: the
 * proxy-overhead matrix, key scale, stream chunk delay and open streams (the resource routes are in
 * resources.ts, the usage queries in usage-queries.ts).
 */
import {
  ACCESS_TOKEN,
  createToken,
  fakeKeys,
  setConfig,
  startGateway,
  type GatewayProcess,
} from './gateway.js';
import type { LoaderName } from './load.js';
import { CHAT_MODEL, measure, median, preflight, runMatrix, type ServerTarget } from './matrix.js';
import { startNginx } from './nginx.js';
import type { RunOptions } from './options.js';
import { freePort, spawnBundled, waitForPort, type Child } from './processes.js';
import { measurePickCost } from './scale.js';
import {
  emptyDelaySample,
  measureOpenStreams,
  sampleChunkDelay,
  summariseChunkDelay,
  type ChunkDelay,
  type Endpoint,
} from './streams.js';
import type { BenchResult, KeyScaleRow, TargetName } from './types.js';

export interface PhaseContext {
  opts: RunOptions;
  loader: LoaderName;
  /** The nginx binary, or null to skip nginx. */
  nginx: string | null;
  log: (line: string) => void;
}

/** Keys the gateway holds in the matrix, resources, delay and open-streams phases. */
export const GATEWAY_KEYS = 10;
const UPSTREAM_KEY = `Bearer ${fakeKeys(1)[0]}`;
/** Every token rule set, none reached: what checking and counting them costs per request. */
const LIMITED_TOKEN = {
  name: 'bench-limits',
  models: ['gemini-*'],
  rpm: 1_000_000_000,
  rpd: 1_000_000_000,
  tpm: 1_000_000_000_000,
  tpd: 1_000_000_000_000,
  expires_at: '2999-01-01',
  key_group: '*',
};

/** A started gateway as a load target, called with the bench's access token. */
export function gatewayTarget(gw: GatewayProcess): ServerTarget {
  return {
    name: 'gateway',
    base: `${gw.url}/v1`,
    authorization: `Bearer ${ACCESS_TOKEN}`,
    pids: () => [gw.pid],
  };
}

/** The mock upstream in its own process, with `args` (e.g. `--stream-chunks 20`). */
export async function startMock(args: string[]): Promise<Child & { url: string; port: number }> {
  const port = await freePort();
  const child = await spawnBundled('mock', 'test/fixtures/mock-gemini/main.ts', [
    '--port',
    String(port),
    ...args,
  ]);
  await waitForPort(port, child);
  return { ...child, port, url: `http://127.0.0.1:${port}` };
}

async function startStampUpstream(
  chunks: number,
  intervalMs: number,
): Promise<Child & { url: string; port: number }> {
  const port = await freePort();
  const args = ['--port', String(port), '--chunks', String(chunks), '--interval-ms', String(intervalMs)];
  const child = await spawnBundled('stamp-upstream', 'bench/stamp-upstream.ts', args);
  await waitForPort(port, child);
  return { ...child, port, url: `http://127.0.0.1:${port}` };
}

async function startNodeFloor(upstreamUrl: string): Promise<Child & { url: string }> {
  const port = await freePort();
  const child = await spawnBundled('node-floor', 'bench/node-floor.ts', [
    '--port',
    String(port),
    '--upstream',
    upstreamUrl,
  ]);
  await waitForPort(port, child);
  return { ...child, url: `http://127.0.0.1:${port}` };
}

/**
 * direct, gateway, the Node floor and (when installed) nginx in front of the upstream on
 * `upstreamPort`; `stop` ends them.
 */
async function startTargets(
  ctx: PhaseContext,
  upstream: { url: string; port: number; pid: number },
): Promise<{ targets: ServerTarget[]; stop(): Promise<void> }> {
  const gateway = await startGateway('gateway', upstream.url, GATEWAY_KEYS);
  const limited = await createToken(gateway.url, LIMITED_TOKEN);
  // Shared local key limits are a pool-wide setting: a process of their own, limits never reached.
  const keyLimited = await startGateway('gateway-key-limits', upstream.url, GATEWAY_KEYS);
  await setConfig(keyLimited.url, { local_rpm_limit: 1_000_000, local_rpd_limit: 100_000_000 });
  const floor = await startNodeFloor(upstream.url);
  const nginx = ctx.nginx
    ? await startNginx({
        binary: ctx.nginx,
        port: await freePort(),
        upstreamPort: upstream.port,
        workers: ctx.opts.nginxWorkers,
      })
    : null;
  const targets: ServerTarget[] = [
    {
      name: 'direct',
      base: `${upstream.url}/v1beta/openai`,
      authorization: UPSTREAM_KEY,
      pids: () => [upstream.pid],
    },
    {
      name: 'gateway',
      base: `${gateway.url}/v1`,
      authorization: `Bearer ${ACCESS_TOKEN}`,
      pids: () => [gateway.pid],
    },
    {
      name: 'gateway-limits',
      base: `${gateway.url}/v1`,
      authorization: `Bearer ${limited}`,
      pids: () => [gateway.pid],
    },
    {
      name: 'gateway-key-limits',
      base: `${keyLimited.url}/v1`,
      authorization: `Bearer ${ACCESS_TOKEN}`,
      pids: () => [keyLimited.pid],
    },
    {
      name: 'node-floor',
      base: `${floor.url}/v1beta/openai`,
      authorization: UPSTREAM_KEY,
      pids: () => [floor.pid],
    },
  ];
  if (nginx) {
    targets.push({
      name: 'nginx',
      base: `${nginx.url}/v1beta/openai`,
      authorization: UPSTREAM_KEY,
      pids: nginx.pids,
    });
  }
  return {
    targets,
    async stop() {
      await Promise.all([gateway.stop(), keyLimited.stop(), floor.stop(), nginx?.stop()]);
    },
  };
}

export async function matrixPhase(ctx: PhaseContext): Promise<Pick<BenchResult, 'cells'>> {
  const mock = await startMock(['--stream-chunks', String(ctx.opts.streamChunks)]);
  const { targets, stop } = await startTargets(ctx, mock);
  try {
    await preflight(targets, ctx.opts.workloads);
    const cells = await runMatrix(ctx.loader, targets, { ...ctx.opts, log: ctx.log });
    return { cells };
  } finally {
    await stop();
    await mock.stop();
  }
}

export async function scalePhase(ctx: PhaseContext): Promise<BenchResult['keyScale']> {
  const { opts } = ctx;
  ctx.log(`selection cost: ${opts.pickBudgetMs} ms per sample`);
  const pickCost = measurePickCost(opts.scaleKeys, opts.pickBudgetMs);
  const mock = await startMock(['--stream-chunks', String(opts.streamChunks)]);
  const gateways = [];
  try {
    for (const keys of opts.scaleKeys) {
      const gw = await startGateway(`gateway-${keys}`, mock.url, keys);
      gateways.push({ keys, gw });
      ctx.log(`gateway with ${keys} keys ready (import ${gw.importSeconds.toFixed(1)} s)`);
    }
    const targets = gateways.map(({ gw }) => gatewayTarget(gw));
    await preflight(targets, ['chat']);
    const runs = gateways.map(() => ({ results: [] as Awaited<ReturnType<typeof measure>>[] }));
    if (opts.warmupS > 0) {
      for (const t of targets) await measure(ctx.loader, t, 'chat', opts.scaleConcurrency, opts.warmupS);
    }
    for (let round = 0; round < opts.rounds; round++) {
      for (let i = 0; i < targets.length; i++) {
        const j = (i + round) % targets.length;
        const m = await measure(
          ctx.loader,
          targets[j] as ServerTarget,
          'chat',
          opts.scaleConcurrency,
          opts.durationS,
        );
        runs[j]?.results.push(m);
        ctx.log(
          `round ${round + 1}/${opts.rounds} ${gateways[j]?.keys} keys: ${m.result.rps.toFixed(0)} req/s`,
        );
      }
    }
    const throughput: KeyScaleRow[] = gateways.map(({ keys, gw }, i) => {
      const results = runs[i]?.results ?? [];
      const requests = results.reduce((s, m) => s + m.result.requests, 0);
      return {
        keys,
        rps: median(results.map((m) => m.result.rps)),
        p50Ms: median(results.map((m) => m.result.p50Ms)),
        p99Ms: median(results.map((m) => m.result.p99Ms)),
        cpuMsPerRequest: requests > 0 ? results.reduce((s, m) => s + m.cpuMs, 0) / requests : 0,
        importSeconds: gw.importSeconds,
        runs: results.map((m) => m.result),
      };
    });
    return { pickCost, throughput };
  } finally {
    await Promise.all(gateways.map(({ gw }) => gw.stop()));
    await mock.stop();
  }
}

export async function delayPhase(ctx: PhaseContext): Promise<BenchResult['chunkDelay']> {
  const { opts } = ctx;
  const upstream = await startStampUpstream(opts.delayChunks, opts.delayIntervalMs);
  const started = await startTargets(ctx, upstream);
  const { stop } = started;
  // A token's rules are checked before the first byte: they do not change the delay of chunks.
  const targets = started.targets.filter(
    (target) => target.name !== 'gateway-limits' && target.name !== 'gateway-key-limits',
  );
  const endpoint = (target: ServerTarget): Endpoint => ({
    url: `${target.base}/chat/completions`,
    headers: { authorization: target.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODEL, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
  });
  const samples = new Map(targets.map((target) => [target.name, emptyDelaySample()]));
  try {
    // Like the matrix, measure warm processes: the first seconds of a fresh Node gateway run unoptimised code.
    if (opts.warmupS > 0) {
      for (const target of targets) {
        await sampleChunkDelay(endpoint(target), opts.delayStreams, opts.warmupS, emptyDelaySample());
      }
    }
    // Interleaved rounds, so a noisy moment of the shared machine does not land on one path only.
    for (let round = 0; round < opts.rounds; round++) {
      for (const target of targets) {
        const sample = samples.get(target.name)!;
        await sampleChunkDelay(endpoint(target), opts.delayStreams, opts.delayDurationS, sample);
      }
    }
    const out: Partial<Record<TargetName, ChunkDelay>> = {};
    for (const target of targets) {
      const d = summariseChunkDelay(samples.get(target.name)!);
      out[target.name] = d;
      ctx.log(
        `chunk delay ${target.name}: p50 ${d.p50Ms.toFixed(3)} ms, p99 ${d.p99Ms.toFixed(3)} ms (${d.chunks} chunks)`,
      );
    }
    return out;
  } finally {
    await stop();
    await upstream.stop();
  }
}

export async function openStreamsPhase(ctx: PhaseContext): Promise<BenchResult['openStreams']> {
  const { opts } = ctx;
  const mock = await startMock([
    '--stream-chunks',
    String(opts.openChunks),
    '--chunk-interval',
    String(opts.openIntervalMs),
  ]);
  const gateway = await startGateway('gateway', mock.url, GATEWAY_KEYS);
  try {
    const ep: Endpoint = {
      url: `${gateway.url}/v1/chat/completions`,
      headers: { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODEL, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    };
    ctx.log(`opening ${opts.openStreams} streams through the gateway`);
    const result = await measureOpenStreams(ep, opts.openStreams, () => [gateway.pid]);
    ctx.log(`open streams: ${result.maxOpen} at once, peak RSS ${result.rssPeakMb.toFixed(0)} MB`);
    return result;
  } finally {
    await gateway.stop();
    await mock.stop();
  }
}
