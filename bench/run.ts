/**
 * `npm run bench`: the gateway against direct calls to the mock upstream and against nginx
 * proxy_pass, on this machine, in one interleaved run. Progress goes to stderr; the markdown report
 * goes to stdout and, with the JSON, to bench/results/ (a temp dir for --smoke unless --out is given).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { postgresPhase } from './databases.js';
import { chooseLoader, wrkVersion } from './load.js';
import { findNginx } from './nginx.js';
import { readOptions } from './options.js';
import { delayPhase, matrixPhase, openStreamsPhase, scalePhase, type PhaseContext } from './phases.js';
import { REPO_ROOT } from './processes.js';
import { resourcesPhase } from './resources.js';
import { checkTargets, renderMarkdown, saveResults } from './report.js';
import type { BenchResult } from './types.js';
import { measureUsageQueries } from './usage-queries.js';

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function nginxVersion(binary: string): string {
  // `nginx -v` writes its version to stderr.
  const { stderr } = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return stderr?.trim().replace(/^nginx version: nginx\//, '') || 'unknown';
}

function autocannonVersion(): string {
  try {
    return execFileSync(process.execPath, ['-p', "require('autocannon/package.json').version"], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts = readOptions(argv, process.env);
  const log = (line: string): void => {
    process.stderr.write(`[bench] ${line}\n`);
  };
  const loader = chooseLoader(opts.loader);
  const nginxBinary = opts.nginx ? findNginx() : null;
  if (opts.nginx && !nginxBinary)
    log('nginx not found: skipping the nginx comparison (apt-get install nginx)');
  const { loader: _loader, nginx: _nginx, outDir: _outDir, phases, ...rest } = opts;
  const settings = { ...rest, phases: [...phases] };
  const ctx: PhaseContext = { opts, loader, nginx: nginxBinary, log };
  // `npx tsx bench/run.ts` runs under npm too, as the lifecycle event `npx`.
  const event = process.env.npm_lifecycle_event;
  const script = event?.startsWith('bench') ? event : undefined;
  const loadAvgStart = loadavg();
  const started = new Date();
  log(`load generator: ${loader}; nginx: ${nginxBinary ?? 'none'}`);

  const cells = opts.phases.has('matrix') ? (await matrixPhase(ctx)).cells : [];
  const resources = opts.phases.has('resources') ? await resourcesPhase(ctx) : [];
  const keyScale = opts.phases.has('scale') ? await scalePhase(ctx) : { pickCost: [], throughput: [] };
  const chunkDelay = opts.phases.has('delay') ? await delayPhase(ctx) : {};
  const openStreams = opts.phases.has('open') ? await openStreamsPhase(ctx) : null;
  const usageQueries = opts.phases.has('usage') ? await measureUsageQueries(opts.usageRows, log) : [];
  const databases = opts.phases.has('postgres') ? await postgresPhase(ctx) : null;

  const partial: Omit<BenchResult, 'targets'> = {
    version: 1,
    date: started.toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'nogit',
    dirty: git(['status', '--porcelain', '--', 'src']) !== '',
    command: script
      ? `npm run ${script}${argv.length ? ` -- ${argv.join(' ')}` : ''}`
      : `npx tsx bench/run.ts ${argv.join(' ')}`.trim(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: totalmem() / 2 ** 30,
      os: `${type()} ${release()}`,
      node: process.version,
      loadAvgStart,
      loadAvgEnd: loadavg(),
    },
    loader: {
      name: loader,
      version:
        loader === 'wrk'
          ? `${wrkVersion() ?? 'wrk'}, 1 thread`
          : `autocannon ${autocannonVersion()}, whole-ms latency`,
    },
    nginx: nginxBinary ? { version: nginxVersion(nginxBinary), workerProcesses: opts.nginxWorkers } : null,
    settings,
    cells,
    keyScale,
    chunkDelay,
    openStreams,
    usageQueries,
    resources,
    databases,
  };
  const result: BenchResult = { ...partial, targets: checkTargets(partial) };
  const outDir =
    opts.outDir ??
    (opts.smoke ? mkdtempSync(join(tmpdir(), 'bench-smoke-')) : join(REPO_ROOT, 'bench', 'results'));
  const saved = saveResults(result, outDir);
  process.stdout.write(renderMarkdown(result));
  log(`saved ${saved.join(', ')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
