/** Serves the admin panel from the Workers static-assets binding. */
import type { PanelAssets } from '../../http/app.js';
import { panelHeaders } from '../../http/panel-headers.js';

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
      const file = path.replace(/^\/+/, '');
      const res = await assets.fetch(new Request(`${ASSETS_ORIGIN}/${file}`));
      if (res.status === 404) return null;
      // The binding's own headers revalidate everything; the panel's rules are the Node server's.
      const served = new Response(res.body, res);
      for (const [name, value] of Object.entries(panelHeaders(file))) served.headers.set(name, value);
      return served;
    },
  };
}
