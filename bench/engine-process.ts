/**
 * What the engine's own process buys the window: the shell's event-loop delay while the
 * engine imports a large kcat capture and then answers message pages, with the engine in
 * the same process (as before issue 13) and in its own process (EngineHost), in one run.
 * Also the price: the round trip of a page request in each case (timed once the session's
 * analysis has finished).
 *
 *   node --import tsx bench/engine-process.ts   (BENCH_IMPORT_N, BENCH_PAGES, BENCH_LIMIT change the sizes)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../src/core/engine/engine.ts';
import { EngineHost } from '../src/core/host/parent.ts';
import { forkEngine } from '../src/core/host/node-process.ts';
import type { InspectorApi } from '../src/shared/api.ts';

const N = Number(process.env.BENCH_IMPORT_N ?? 100_000);
const PAGES = Number(process.env.BENCH_PAGES ?? 1000);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 100);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-bench-host-'));
const capture = path.join(dir, 'capture.jsonl');

const lines: string[] = [];
for (let i = 0; i < N; i++) {
  const payload = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'orders.create', params: { sku: `sku-${i % 97}`, qty: i % 5 } });
  lines.push(JSON.stringify({ topic: `orders.${i % 8}`, partition: i % 3, offset: Math.floor(i / 3), tstype: 'create', ts: 1795949151233 + i, broker: 1, key: `k${i}`, payload }));
}
fs.writeFileSync(capture, `${lines.join('\n')}\n`);

interface Run {
  importMs: number;
  p99ms: number;
  maxMs: number;
  pageMs: number;
}

async function measure(api: InspectorApi, label: string): Promise<Run> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t0 = performance.now();
  const info = await api.call('renderer:session:import', { path: capture, format: 'kcat', out: path.join(dir, `${label}.flowscope`) });
  const importMs = performance.now() - t0;
  // The saved session's analysis runs in slices after the import; pages are timed after it,
  // since in-process awaits would otherwise starve it and look faster than they are.
  while ((await api.call('renderer:session:info', { sessionId: info.id })).analysis.state === 'running') {
    await new Promise((r) => setTimeout(r, 50));
  }
  const t1 = performance.now();
  for (let i = 0; i < PAGES; i++) {
    await api.call('renderer:messages:query', { sessionId: info.id, filter: {}, offset: (i * 100) % N, limit: LIMIT });
  }
  const pageMs = (performance.now() - t1) / PAGES;
  delay.disable();
  return { importMs, p99ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6, pageMs };
}

const inProcess = new Engine({ dataDir: path.join(dir, 'a'), version: 'bench', transport: 'bridge' });
const a = await measure(inProcess, 'in-process');
await inProcess.shutdown();

const host = await EngineHost.start({
  spawn: () => forkEngine({ file: path.resolve(import.meta.dirname, '../src/core/host/node-child.ts'), execArgv: ['--import', 'tsx'] }),
  engine: { dataDir: path.join(dir, 'b'), version: 'bench', transport: 'bridge' },
});
const b = await measure(host, 'own-process');
await host.shutdown();

const row = (name: string, r: Run) =>
  `| ${name} | ${(r.importMs / 1000).toFixed(2)} s | ${r.p99ms.toFixed(1)} ms | ${r.maxMs.toFixed(0)} ms | ${r.pageMs.toFixed(2)} ms |`;
console.log(`\nkcat import of ${N.toLocaleString('en-US')} records, then ${PAGES} pages of ${LIMIT} rows`);
console.log('| engine | import | shell event-loop delay p99 | max | page round trip |');
console.log('|---|---|---|---|---|');
console.log(row('in the shell process', a));
console.log(row('in its own process', b));
console.log(`max delay ratio (in-process / own process): ${(a.maxMs / b.maxMs).toFixed(1)}×; page round trip ratio: ${(b.pageMs / a.pageMs).toFixed(2)}×`);
fs.rmSync(dir, { recursive: true, force: true });
