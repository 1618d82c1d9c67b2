/** Serves the admin panel from the Workers static-assets binding. */
import type { PanelAssets } from '../../http/app.js';

/** Any origin works: the assets binding only looks at the path. */
const ASSETS_ORIGIN = 'https://assets.invalid';

/**
 * Wraps `env.ASSETS` as the app's `PanelAssets`. `path` is relative to /admin/ and maps to the
 * same path under admin-ui/dist (wrangler.toml sets `html_handling = "none"` so `index.html` is
 * served as itself, not redirected to `/`).
 */
export function workerPanelAssets(assets: Fetcher): PanelAssets {
  return {
    async get(path: string): Promise<Response | null> {
      const res = await assets.fetch(new Request(`${ASSETS_ORIGIN}/${path.replace(/^\/+/, '')}`));
      if (res.status === 404) return null;
      return res;
    },
  };
}
