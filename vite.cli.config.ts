import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// The CLI as plain JavaScript for Node (out/cli/index.js), so `flowscope` starts without a
// TypeScript compiler. Runtime packages stay external: they are the npm package's
// dependencies, and better-sqlite3 is native.
const root = import.meta.dirname;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
const runtime = Object.keys(pkg.dependencies ?? {});
const builtins = new Set(builtinModules);

/**
 * Writes out/cli/sources.json: the repository files this bundle was made from and when the
 * build started. In a development checkout, bin/flowscope.mjs runs the sources instead of a
 * build that any of them has changed since.
 */
function sourcesManifest(): Plugin {
  let startedAt = 0;
  return {
    name: 'flowscope-cli-sources',
    buildStart() {
      startedAt = Date.now();
    },
    generateBundle(_options, bundle) {
      const ids = new Set<string>();
      for (const file of Object.values(bundle)) if (file.type === 'chunk') for (const id of file.moduleIds) ids.add(id);
      const sources = [...ids]
        .filter((id) => path.isAbsolute(id) && !id.includes(`${path.sep}node_modules${path.sep}`))
        .map((id) => path.relative(root, id).split(path.sep).join('/'))
        .sort();
      this.emitFile({ type: 'asset', fileName: 'sources.json', source: `${JSON.stringify({ builtAt: startedAt, sources }, null, 1)}\n` });
    },
  };
}

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir: path.join(root, 'out/cli'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      external: (id) => id.startsWith('node:') || builtins.has(id) || runtime.some((dep) => id === dep || id.startsWith(`${dep}/`)),
      // The command, the engine process `serve` forks (src/cli/engine-host.ts finds it beside
      // itself), the store's writer thread (src/core/store/store-writer.ts finds it beside the
      // bundle), and the WebSocket proxy's thread (src/core/connectors/ws/proxy-thread.ts
      // starts relay-worker.js from beside its chunk).
      input: {
        index: path.join(root, 'src/cli/index.ts'),
        'node-child': path.join(root, 'src/core/host/node-child.ts'),
        'writer-worker': path.join(root, 'src/core/store/writer-worker.ts'),
        'integrity-worker': path.join(root, 'src/core/store/integrity-worker.ts'),
        'analysis-read-worker': path.join(root, 'src/core/store/analysis-read-worker.ts'),
        'relay-worker': path.join(root, 'src/core/connectors/ws/relay-worker.ts'),
      },
      // Chunks sit beside index.js: src/cli/context.ts finds the package root two folders up
      // from its own file, from out/cli as from src/cli.
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
  ssr: { target: 'node' },
  plugins: [sourcesManifest()],
});
