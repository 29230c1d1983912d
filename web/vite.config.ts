// Vite settings for the embedded UI. `base: './'` keeps every asset URL
// relative; index.html's <base href> (filled in by the server with
// --static-prefix) anchors them, so deep links and prefixes both work.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
});
