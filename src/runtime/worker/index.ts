/** The Cloudflare Worker entry (wrangler.toml `main`). Everything else lives in worker.ts. */
import type { Env } from './env.js';
import { createWorker } from './worker.js';

const worker = createWorker();

// Workers requires a default export; the house rule of named exports yields here.
export default {
  fetch: worker.fetch,
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Env>;
