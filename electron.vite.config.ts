import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Main and preload are bundled for Electron; the renderer is a plain web build that the
// WebSocket bridge (`flowscope serve`) also serves to an ordinary browser.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The store's writer thread is its own entry, found beside the bundle at run time.
        input: { index: resolve(__dirname, 'src/main/index.ts'), 'writer-worker': resolve(__dirname, 'src/core/store/writer-worker.ts') },
        external: ['better-sqlite3', 'kafkajs', 'amqplib', 'ws', 'zod'],
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require() packages at run time: bundle zod and the contract.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    base: './',
    build: {
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [react()],
  },
});
