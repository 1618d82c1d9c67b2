/**
 * CI smoke of the benchmark: `bench/run.ts --smoke` in a subprocess must start every server, run
 * every phase, print its table and save JSON with the expected cells. It asserts what was measured,
 * never how fast: benchmarks are not timed tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'bench-smoke-test-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench:smoke', () => {
  it('runs every phase, prints the report and saves the expected cells', async () => {
    const { code, stdout, stderr } = await runSmoke();
    expect(code, stderr.slice(-3000)).toBe(0);

    expect(stdout).toContain('## Targets');
    expect(stdout).toMatch(/\| workload \| c \| target \| req\/s \| p50 ms \| p99 ms \|/);
    expect(stdout).toContain('## Key scale');
    expect(stdout).toContain('## Streaming');

    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith('.json'));
    expect(json).toBeDefined();
    expect(files).toContain('latest.md');
    expect(files).toContain(json!.replace(/\.json$/, '.md'));
    const r = JSON.parse(readFileSync(join(out, json!), 'utf8')) as BenchResult;

    const targets = ['direct', 'gateway', 'node-floor', ...(r.nginx ? ['nginx'] : [])];
    const matrixTargets = [
      'direct',
      'gateway',
      'gateway-limits',
      'node-floor',
      ...(r.nginx ? ['nginx'] : []),
    ];
    const expected = [
      'chat',
      'stream',
      'embed',
      'embed-base64',
      'responses',
      'responses-stream',
      'messages',
      'messages-stream',
    ].flatMap((w) =>
      [1, 8].flatMap((c) =>
        (w.startsWith('responses') || w.startsWith('messages')
          ? ['gateway']
          : w === 'chat'
            ? [...matrixTargets.slice(0, 3), 'gateway-key-limits', ...matrixTargets.slice(3)]
            : matrixTargets
        ).map((t) => `${w}/${c}/${t}`),
      ),
    );
    expect(r.cells.map((c) => `${c.workload}/${c.concurrency}/${c.target}`)).toEqual(expected);
    for (const cell of r.cells) {
      expect(cell.requests, `${cell.workload}/${cell.concurrency}/${cell.target}`).toBeGreaterThan(0);
      expect(cell.badStatus, `${cell.workload}/${cell.concurrency}/${cell.target}`).toBe(0);
      expect(cell.runs).toHaveLength(1);
    }
    expect(['wrk', 'autocannon']).toContain(r.loader.name);

    expect(r.keyScale.throughput.map((s) => s.keys)).toEqual([10, 1000]);
    for (const row of r.keyScale.throughput) expect(row.runs[0]!.requests).toBeGreaterThan(0);
    expect(r.keyScale.pickCost).toHaveLength(3 * 2 * 2);
    expect(new Set(r.keyScale.pickCost.map((p) => p.strategy))).toEqual(
      new Set(['round_robin', 'least_used', 'random']),
    );

    expect(Object.keys(r.chunkDelay).sort()).toEqual([...targets].sort());
    for (const delay of Object.values(r.chunkDelay)) {
      expect(delay.chunks).toBeGreaterThan(0);
      expect(delay.failures).toBe(0);
    }

    expect(r.openStreams).toMatchObject({ requested: 50, completed: 50, failed: 0 });
    expect(r.openStreams!.maxOpen).toBeGreaterThan(0);

    expect(stdout).toContain('## Resource routes');
    expect(r.resources.map((x) => `${x.workload}/${x.concurrency}/${x.calls}`)).toEqual([
      'chat/8/1',
      'generate/8/1',
      'generate-file/8/1',
      'files-get/8/1',
      'files-list/8/1',
      'upload/8/2',
      'cache-create/8/1',
    ]);
    for (const row of r.resources) {
      expect(row.requests, row.workload).toBeGreaterThan(0);
      expect([row.errors, row.badStatus], row.workload).toEqual([0, 0]);
      expect(stdout).toMatch(
        new RegExp(`\\| ${row.workload} \\| .* \\| ${row.calls} \\| ${row.gateway} \\|`),
      );
    }

    expect(stdout).toContain('## Usage queries');
    expect(r.usageQueries.map((q) => q.query)).toContain('stats, week (6 h buckets)');
    for (const q of r.usageQueries) expect(q.rows, q.query).toBe(r.settings.usageRows);

    expect(stdout).toContain('## PostgreSQL');
    if (r.databases?.note) {
      expect(r.databases.note).toContain('not installed');
    } else {
      expect(r.databases!.rows.map((row) => row.database)).toEqual(['sqlite', 'postgres']);
      for (const row of r.databases!.rows) {
        expect(row.requests, row.database).toBeGreaterThan(0);
        expect(row.badStatus, row.database).toBe(0);
      }
      expect(r.databases!.rows[1]!.databaseCpuMsPerRequest).toBeGreaterThan(0);
      expect(r.databases!.propagation).toMatchObject({ changes: 20, timeouts: 0 });
    }

    // Eight overall targets (shared local key limits among them); responses and messages against chat
    // CPU per request (4 workloads × 2 concurrencies); generateContent naming a file against the same
    // without one; then PostgreSQL's propagation and CPU per request.
    expect(r.targets).toHaveLength(19);
    expect(r.targets.some((t) => t.measure.includes('shared local key limits on vs off'))).toBe(true);
    expect(r.targets.filter((t) => t.measure.startsWith('gateway CPU per request'))).toHaveLength(9);
    for (const t of r.targets) expect(stdout).toContain(t.measure);
  }, 360_000);
});
