import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry is `name` (writer-worker, integrity-worker …), found
 * from `from`, the caller's `import.meta.url`. Built (out/cli, out/main), `name.js` sits
 * beside the bundle that holds the caller, or one folder up from a chunk; from the sources
 * (tests, development) `name.ts` sits beside the caller and runs through tsx, which a
 * worker does not inherit when the parent registered it from code (bin/flowscope.mjs,
 * scripts/test.mjs).
 */
export function startWorker(name: string, from: string, workerData: unknown): Worker {
  for (const rel of [`./${name}.js`, `../${name}.js`]) {
    const url = new URL(rel, from);
    if (fs.existsSync(url)) return new Worker(url, { workerData });
  }
  const source = new URL(`./${name}.ts`, from);
  if (!fs.existsSync(source)) throw new Error(`the ${name} thread (${name}.js) is missing beside the Flowscope build`);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
