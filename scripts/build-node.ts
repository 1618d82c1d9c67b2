/**
 * Bundles a Node entry into plain JavaScript under `dist/` with esbuild: `npm start` runs the
 * gateway from this bundle, as do the bench and the tests that start it as a process. Running the
 * TypeScript through tsx instead measured about a fifth more CPU per request, because tsx keeps
 * function names with a helper that runs for every closure created.
 *
 * The bundle keeps its source's depth (src/runtime/node/main.ts → dist/runtime/node/main.mjs), so
 * paths resolved from `import.meta.url` (the migrations, the built panel) point at the same files.
 * Packages stay external and load from node_modules. Run: `npx tsx scripts/build-node.ts [entry]`.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What `npm start` runs. */
export const SERVER_ENTRY = 'src/runtime/node/main.ts';

/** Where the bundle of `entry` (relative to the repository) goes: `src/` is dropped, `.ts` becomes `.mjs`. */
export function bundlePath(entry: string): string {
  return join(ROOT, 'dist', entry.replace(/^src\//, '').replace(/\.ts$/, '.mjs'));
}

/** Bundles `entry` and returns the bundle's absolute path. The file is replaced atomically. */
export async function bundleNodeEntry(entry: string = SERVER_ENTRY): Promise<string> {
  const outfile = bundlePath(entry);
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  mkdirSync(dirname(outfile), { recursive: true });
  // Tests build in parallel: each writes its own temporary file and renames it into place.
  const temporary = `${outfile}.${process.pid}.tmp`;
  writeFileSync(temporary, output.contents);
  renameSync(temporary, outfile);
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outfile = await bundleNodeEntry(process.argv[2] ?? SERVER_ENTRY);
  console.log(`built ${relative(ROOT, outfile)}`);
}
