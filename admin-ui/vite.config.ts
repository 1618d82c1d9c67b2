import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// `npm run build:panel` writes admin-ui/dist, which both runtimes serve at /admin/.
// For `vite --config admin-ui/vite.config.ts`, API calls go to a running gateway (GKP_ADMIN_TARGET).
export default defineConfig({
  root,
  base: '/admin/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    sourcemap: false,
    // One entry chunk and no lazy chunks: the modulepreload polyfill would be dead weight.
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/admin/api': process.env.GKP_ADMIN_TARGET ?? 'http://127.0.0.1:8787',
    },
  },
});
