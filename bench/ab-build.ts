/**
 * The Node server bundle of another commit, for `npm run bench:ab`: the commit's tree is extracted
 * with `git archive` into a temporary directory (the repository's worktree list is left alone),
 * `node_modules` is linked from this checkout, and the commit's own `scripts/build-node.ts` bundles
 * it. The directory is kept and reused by later runs against the same commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

const BUNDLE = join('dist', 'runtime', 'node', 'main.mjs');

/** The full hash of `rev`; throws with git's message when it names no commit. */
export function resolveCommit(rev: string): string {
  return execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Builds (or finds already built) the server bundle of `commit`; returns its absolute path. */
export function buildCommit(commit: string, log: (line: string) => void): string {
  const dir = join(tmpdir(), `gemini-key-pool-ab-${commit.slice(0, 12)}`);
  const bundle = join(dir, BUNDLE);
  if (existsSync(bundle)) return bundle;
  log(`building ${commit.slice(0, 12)} in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const tar = execFileSync('git', ['archive', '--format=tar', commit], {
      cwd: REPO_ROOT,
      maxBuffer: 1 << 30,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'scripts', 'build-node.ts')], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (!existsSync(bundle)) throw new Error(`building ${commit} produced no ${BUNDLE}`);
  return bundle;
}
