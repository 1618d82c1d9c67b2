/**
 * Child processes for the benchmark: every server runs in its own process so its CPU time and
 * memory can be read per process from /proc. Linux only for those figures (elsewhere they read 0).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { bundleNodeEntry } from '../scripts/build-node.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  name: string;
  pid: number;
  /** The last few KB of stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  exited(): boolean;
}

const live = new Set<ChildProcess>();

// A crashed or interrupted bench must not leave servers behind.
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

/** Starts `command args` with `env` added to this process's environment. */
export function spawnServer(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Child {
  const proc = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  live.add(proc);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let done = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      done = true;
      live.delete(proc);
      resolve();
    }),
  );
  return {
    name,
    pid: proc.pid,
    output: () => tail,
    exited: () => done,
    async stop(graceMs = 5000) {
      if (done) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * Bundles `file` (scripts/build-node.ts) and runs the bundle with `node`: the process's pid is the
 * server's own, and every server runs as plain JavaScript, the way `npm start` runs the gateway.
 */
export async function spawnBundled(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Child> {
  const bundle = await bundleNodeEntry(file);
  return spawnServer(name, process.execPath, [...extraNodeFlags(name), bundle, ...args], env);
}

/** BENCH_NODE_FLAGS_<NAME> (e.g. BENCH_NODE_FLAGS_GATEWAY="--cpu-prof") adds node flags to one server. */
export function extraNodeFlags(name: string): string[] {
  const key = `BENCH_NODE_FLAGS_${name.replace(/[^a-z0-9]/gi, '_').toUpperCase()}`;
  const base = name.replace(/-.*$/, '').toUpperCase();
  const raw = process.env[key] ?? process.env[`BENCH_NODE_FLAGS_${base}`] ?? '';
  return raw.split(/\s+/).filter(Boolean);
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on `port`; fails if `child` exits first. */
export async function waitForPort(port: number, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited during start:\n${child.output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms:\n${child.output()}`);
}

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of one process, in ms. */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return 0;
  }
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU time of one process in ns, summed over its threads from `/proc/<pid>/task/<tid>/schedstat`
 * (nanosecond resolution, where `stat` counts 10 ms ticks); falls back to `stat` without schedstat.
 */
export function cpuNsOf(pid: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
    readFileSync(`/proc/${pid}/schedstat`);
  } catch {
    return cpuMsOf(pid) * 1e6;
  }
  let sum = 0;
  for (const tid of tids) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended while we looked.
    }
  }
  return sum;
}

/** Total CPU ms of `pids`. */
export function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
}

/** Current resident set of `pids`, summed, in MB. */
export function rssMb(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0) / 1024;
}

/** Lifetime peak resident set (VmHWM) of `pids`, summed, in MB. */
export function peakRssMb(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0) / 1024;
}

/** `pid` and every process below it (nginx: master and workers). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of parents.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Samples the summed RSS of `pids()` every `intervalMs` until stopped; returns the highest, in MB. */
export function sampleRss(pids: () => number[], intervalMs = 100): { stop(): number } {
  let max = rssMb(pids());
  const timer = setInterval(() => {
    max = Math.max(max, rssMb(pids()));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssMb(pids()));
    },
  };
}
