import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The renderer: one build served by Electron (app:// protocol) and by `vae-studio serve` alike.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      // The studio, and the map alone on a synthetic map (its benchmark and screenshots: test/e2e/map.spec.ts).
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        'map-lab': fileURLToPath(new URL('map-lab.html', import.meta.url)),
      },
    },
  },
});
