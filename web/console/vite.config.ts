import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is built into ../dist, which the Go package web embeds.
// Every URL is relative: the server writes <base href> for the prefix it
// is mounted at, so the same files serve at / and under any prefix.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
    // Two pages: the console, and the development playground (its own
    // scripts: the console never loads GraphiQL).
    rollupOptions: {
      input: { index: 'index.html', playground: 'playground.html' },
    },
    chunkSizeWarningLimit: 4096,
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://localhost:8080', ws: true },
      '/console/': 'http://localhost:8080',
      '/files/': 'http://localhost:8080',
      '/export/': 'http://localhost:8080',
    },
  },
});
