import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Main and preload are bundled for Electron; the renderer is a plain web build that the
// WebSocket bridge (`flowscope serve`) also serves to an ordinary browser.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The shell, the engine process it starts as a utilityProcess (src/core/host), the
        // store's writer thread the engine starts (src/core/store/store-writer.ts finds it beside
        // the bundle), and the WebSocket proxy's thread (src/core/connectors/ws/proxy-thread.ts
        // starts relay-worker.js).
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          engine: resolve(__dirname, 'src/core/host/utility-child.ts'),
          'writer-worker': resolve(__dirname, 'src/core/store/writer-worker.ts'),
          'integrity-worker': resolve(__dirname, 'src/core/store/integrity-worker.ts'),
          'analysis-read-worker': resolve(__dirname, 'src/core/store/analysis-read-worker.ts'),
          'relay-worker': resolve(__dirname, 'src/core/connectors/ws/relay-worker.ts'),
        },
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
