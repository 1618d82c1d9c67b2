/**
 * Serves the built panel (admin-ui/dist) from disk. Files found are kept in memory after the first
 * read; misses are not, since anyone may ask for any path under /admin/ and the cache must stay as
 * small as the panel.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { PanelAssets } from '../../http/app.js';
import { panelHeaders } from '../../http/panel-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function createDiskPanelAssets(dir: string): PanelAssets {
  const root = normalize(dir).replace(/[\\/]+$/, '') + sep;
  const cache = new Map<string, Uint8Array>();
  const load = async (path: string): Promise<Uint8Array | null> => {
    const cached = cache.get(path);
    if (cached) return cached;
    const full = normalize(join(root, path));
    const bytes = full.startsWith(root) ? await readFile(full).catch(() => null) : null;
    if (bytes) cache.set(path, bytes);
    return bytes;
  };
  return {
    async get(path) {
      const bytes = await load(path);
      if (!bytes) return null;
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: {
          'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
          ...panelHeaders(path),
        },
      });
    },
  };
}
