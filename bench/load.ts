/**
 * The load generator: wrk when installed (C, far lighter on a small machine), else autocannon (in
 * devDependencies). Either runs as its own process; the result says which one produced it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

export type LoaderName = 'wrk' | 'autocannon';

export interface LoadSpec {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connect, read, write errors and timeouts. */
  errors: number;
  /** Responses with a status of 400 or more (wrk) / outside 2xx (autocannon). */
  badStatus: number;
}

/** wrk's version line, or null when wrk is not installed. */
export function wrkVersion(): string | null {
  try {
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // `wrk -v` prints its version and exits 1.
    const out = String((err as { stdout?: unknown }).stdout ?? '');
    const match = /^wrk ([^\s[]+)/m.exec(out);
    if (match) return `wrk ${match[1]}`;
    return null;
  }
  return 'wrk';
}

/** `preferred` when given (it must be available), else wrk when installed, else autocannon. */
export function chooseLoader(preferred?: string): LoaderName {
  if (preferred === 'autocannon') return 'autocannon';
  if (preferred === 'wrk') {
    if (!wrkVersion()) throw new Error('--loader wrk: wrk is not installed (apt-get install wrk)');
    return 'wrk';
  }
  if (preferred) throw new Error(`--loader must be wrk or autocannon, got "${preferred}"`);
  return wrkVersion() ? 'wrk' : 'autocannon';
}

function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const args = [
    '-t1',
    `-c${spec.connections}`,
    `-d${spec.durationS}s`,
    '--timeout',
    '30s',
    '-s',
    join(REPO_ROOT, 'bench', 'wrk-report.lua'),
    spec.url,
  ];
  const headers = Object.entries(spec.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const out = await run('wrk', args, { BENCH_BODY: spec.body, BENCH_HEADERS: headers });
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const s = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
  const durationS = (s.duration_us ?? 0) / 1e6;
  const requests = s.requests ?? 0;
  return {
    requests,
    durationS,
    rps: durationS > 0 ? requests / durationS : 0,
    p50Ms: (s.p50_us ?? 0) / 1000,
    p99Ms: (s.p99_us ?? 0) / 1000,
    errors: (s.connect ?? 0) + (s.read ?? 0) + (s.write ?? 0) + (s.timeout ?? 0),
    badStatus: s.status ?? 0,
  };
}

interface AutocannonJson {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
  latency: { p50: number; p99: number };
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const args = [
    join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js'),
    '-j',
    '-c',
    String(spec.connections),
    '-d',
    String(spec.durationS),
    '-m',
    'POST',
    '-b',
    spec.body,
    ...Object.entries(spec.headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]),
    spec.url,
  ];
  const s = JSON.parse(await run(process.execPath, args, {})) as AutocannonJson;
  return {
    requests: s.requests.total,
    durationS: s.duration,
    rps: s.duration > 0 ? s.requests.total / s.duration : 0,
    p50Ms: s.latency.p50,
    p99Ms: s.latency.p99,
    errors: s.errors + s.timeouts,
    badStatus: s.non2xx,
  };
}

/** Runs one closed-loop load cell: `connections` clients, each sending its next request on the last reply. */
export function runLoad(loader: LoaderName, spec: LoadSpec): Promise<LoadResult> {
  return loader === 'wrk' ? runWrk(spec) : runAutocannon(spec);
}
