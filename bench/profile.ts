/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by file, and
 * total (inclusive) time of the project's own functions.
 *
 * Profile the gateway during a bench run, then read the profile:
 *   BENCH_NODE_FLAGS_GATEWAY="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --phases matrix
 *   npx tsx bench/profile.ts /tmp/prof/CPU.*.0.001.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const short = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/(src|test|bench)\//, '$1/') || '(native)';

const label = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([name, us]) =>
        `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
}

const add = (map: Map<string, number>, key: string, us: number): void => {
  map.set(key, (map.get(key) ?? 0) + us);
};

function summarise(profile: Profile, count: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfById = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    add(selfById as Map<never, number>, id as never, profile.timeDeltas[i] ?? 0),
  );
  let total = 0;
  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfById) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    add(selfFn, label(node), us);
    add(selfFile, short(node.callFrame.url), us);
    // Count each project function once per sample stack, however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || !/\/(src|bench)\//.test(n.callFrame.url)) continue;
      const name = label(n);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  return [
    `total sampled: ${(total / 1000).toFixed(0)} ms`,
    '',
    'self time by function:',
    ...top(selfFn, total, count),
    '',
    'self time by file:',
    ...top(selfFile, total, count),
    '',
    'total time of project functions (self + callees):',
    ...top(inclusive, total, count),
  ].join('\n');
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
for (const file of positionals) {
  console.log(
    `== ${file}\n${summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(values.top))}\n`,
  );
}
