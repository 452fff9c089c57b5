import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The ops dashboard: built into dist/dashboard by `npm run build` and served by the api at /dashboard.
 * Preact's automatic JSX runtime needs no plugin; `npm run dev:dashboard` proxies /admin to a local api.
 */
export default defineConfig({
  root,
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { proxy: { '/admin': 'http://127.0.0.1:3000' } },
});
