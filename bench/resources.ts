/**
 * The resource routes (Files API, cached contents, owner-routed generateContent) against the chat
 * route, measured side by side by one load generator (bench/unit-load.ts), in interleaved rounds.
 * Uploads and cache creations add ownership records, so they run on a second gateway process of the
 * same build and settings: the list, get and generate rows read a table that does not grow under them.
 */
import { ACCESS_TOKEN, adminCall, startGateway, type GatewayProcess } from './gateway.js';
import { CHAT_MODEL, median, workloadRequest } from './matrix.js';
import type { PhaseContext } from './phases.js';
import { GATEWAY_KEYS, startMock } from './phases.js';
import { cpuMs } from './processes.js';
import type { ResourceRow, ResourceWorkload } from './types.js';
import { connect, expectStatus, runUnits, type Send, type Unit } from './unit-load.js';

/** Bytes of the one chunk each benchmarked upload sends. */
export const UPLOAD_BYTES = 64 * 1024;
/** Files uploaded before the run, spread over the keys, so the merged list spans several projects. */
const SEED_FILES = 20;
const FILE_TYPE = 'application/pdf';
const GOOG = { 'x-goog-api-key': ACCESS_TOKEN, 'content-type': 'application/json' };
const chunk = new Uint8Array(UPLOAD_BYTES).fill(7);

interface UploadedFile {
  name: string;
  uri: string;
}

/** A resumable upload: the start call, then one chunk that uploads and finalizes. */
async function upload(send: Send, bytes: Uint8Array): Promise<UploadedFile> {
  const start = expectStatus(
    await send({
      method: 'POST',
      path: '/upload/v1beta/files',
      headers: {
        ...GOOG,
        'x-goog-upload-protocol': 'resumable',
        'x-goog-upload-command': 'start',
        'x-goog-upload-header-content-length': String(bytes.byteLength),
        'x-goog-upload-header-content-type': FILE_TYPE,
      },
      body: JSON.stringify({ file: { display_name: 'bench' } }),
    }),
    200,
    'upload start',
  );
  const url = start.headers['x-goog-upload-url'];
  if (typeof url !== 'string') throw new Error('upload start: no X-Goog-Upload-URL');
  const target = new URL(url);
  const done = expectStatus(
    await send({
      method: 'POST',
      path: target.pathname + target.search,
      headers: {
        'x-goog-api-key': ACCESS_TOKEN,
        'x-goog-upload-command': 'upload, finalize',
        'x-goog-upload-offset': '0',
        'content-type': FILE_TYPE,
      },
      body: bytes,
    }),
    200,
    'upload chunk',
  );
  const { file } = JSON.parse(done.text) as { file: UploadedFile };
  return file;
}

function generateBody(file: UploadedFile | null): string {
  const parts: unknown[] = [{ text: 'Say hello in one short sentence.' }];
  if (file) parts.push({ fileData: { fileUri: file.uri, mimeType: FILE_TYPE } });
  return JSON.stringify({ contents: [{ role: 'user', parts }] });
}

interface Spec {
  workload: ResourceWorkload;
  /** HTTP calls per unit. */
  calls: number;
  /** Which gateway serves it: `reads` (fixed records) or `writes` (records grow). */
  on: 'reads' | 'writes';
  unit: Unit;
}

function specs(file: UploadedFile): Spec[] {
  const chat = workloadRequest('chat');
  const post = (path: string, body: string, headers: Record<string, string> = GOOG) => ({
    method: 'POST' as const,
    path,
    headers,
    body,
  });
  const generate = `/v1beta/models/${CHAT_MODEL}:generateContent`;
  const ok =
    (what: string, call: Parameters<Send>[0], needle: string): Unit =>
    async (send) => {
      const answer = expectStatus(await send(call), 200, what);
      if (!answer.text.includes(needle)) throw new Error(`${what}: ${answer.text.slice(0, 300)}`);
    };
  const cache = JSON.stringify({
    model: `models/${CHAT_MODEL}`,
    contents: [{ role: 'user', parts: [{ text: 'A long shared context.' }] }],
    ttl: '300s',
  });
  const bearer = { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' };
  return [
    {
      workload: 'chat',
      calls: 1,
      on: 'reads',
      unit: ok('chat', post(`/v1${chat.path}`, chat.body, bearer), '"chat.completion"'),
    },
    {
      workload: 'generate',
      calls: 1,
      on: 'reads',
      unit: ok('generate', post(generate, generateBody(null)), '"candidates"'),
    },
    {
      workload: 'generate-file',
      calls: 1,
      on: 'reads',
      unit: ok('generate-file', post(generate, generateBody(file)), '"candidates"'),
    },
    {
      workload: 'files-get',
      calls: 1,
      on: 'reads',
      unit: ok('files-get', { method: 'GET', path: `/v1beta/${file.name}`, headers: GOOG }, file.name),
    },
    {
      workload: 'files-list',
      calls: 1,
      on: 'reads',
      unit: ok('files-list', { method: 'GET', path: '/v1beta/files', headers: GOOG }, '"nextPageToken"'),
    },
    { workload: 'upload', calls: 2, on: 'writes', unit: (send) => upload(send, chunk).then(() => undefined) },
    {
      workload: 'cache-create',
      calls: 1,
      on: 'writes',
      unit: ok('cache-create', post('/v1beta/cachedContents', cache), '"cachedContents/'),
    },
  ];
}

/** Uploads `SEED_FILES` small files with affinity off, so the strategy spreads them over the keys. */
async function seed(gw: GatewayProcess): Promise<UploadedFile> {
  await adminCall(gw.url, 'PUT', '/config', { resource_affinity_seconds: 0 }, 200);
  const { send, close } = connect(gw.url, 1);
  try {
    const files: UploadedFile[] = [];
    for (let i = 0; i < SEED_FILES; i++) files.push(await upload(send, new Uint8Array(1024)));
    return files[0]!;
  } finally {
    await close();
    await adminCall(gw.url, 'PUT', '/config', { resource_affinity_seconds: 3600 }, 200);
  }
}

export async function resourcesPhase(ctx: PhaseContext): Promise<ResourceRow[]> {
  const { opts } = ctx;
  const concurrency = Math.max(...opts.concurrency);
  const mock = await startMock([]);
  const gateways: GatewayProcess[] = [];
  try {
    const reads = await startGateway('gateway', mock.url, GATEWAY_KEYS);
    gateways.push(reads);
    const writes = await startGateway('gateway-writes', mock.url, GATEWAY_KEYS);
    gateways.push(writes);
    const list = specs(await seed(reads));
    const gatewayOf = (spec: Spec) => (spec.on === 'reads' ? reads : writes);
    // One unit of each, checked, so a broken setup fails before any load runs.
    for (const spec of list) {
      const { send, close } = connect(gatewayOf(spec).url, 1);
      await spec.unit(send).finally(close);
    }
    if (opts.warmupS > 0) {
      ctx.log(`resources warm-up: ${opts.warmupS}s per workload at c=${concurrency}`);
      for (const spec of list) await runUnits(gatewayOf(spec).url, spec.unit, concurrency, opts.warmupS);
    }
    const runs = new Map(list.map((s) => [s.workload, { results: [] as ResourceRow['runs'], cpu: 0 }]));
    for (let round = 0; round < opts.rounds; round++) {
      for (let i = 0; i < list.length; i++) {
        const spec = list[(i + round) % list.length]!;
        const gw = gatewayOf(spec);
        const before = cpuMs([gw.pid]);
        const { firstError, ...result } = await runUnits(gw.url, spec.unit, concurrency, opts.durationS);
        const entry = runs.get(spec.workload)!;
        entry.cpu += cpuMs([gw.pid]) - before;
        entry.results.push(result);
        ctx.log(
          `round ${round + 1}/${opts.rounds} resources ${spec.workload} c=${concurrency}: ` +
            `${result.rps.toFixed(0)} units/s, p50 ${result.p50Ms.toFixed(2)} ms` +
            (firstError ? ` (first failure: ${firstError.slice(0, 200)})` : ''),
        );
      }
    }
    return list.map((spec): ResourceRow => {
      const { results, cpu } = runs.get(spec.workload)!;
      const requests = results.reduce((s, r) => s + r.requests, 0);
      return {
        workload: spec.workload,
        calls: spec.calls,
        gateway: spec.on,
        concurrency,
        rps: median(results.map((r) => r.rps)),
        p50Ms: median(results.map((r) => r.p50Ms)),
        p99Ms: median(results.map((r) => r.p99Ms)),
        requests,
        errors: results.reduce((s, r) => s + r.errors, 0),
        badStatus: results.reduce((s, r) => s + r.badStatus, 0),
        cpuMsPerRequest: requests > 0 ? cpu / requests : 0,
        runs: results,
      };
    });
  } finally {
    await Promise.all(gateways.map((gw) => gw.stop()));
    await mock.stop();
  }
}
