/**
 * Reopening a big session (issue 12), with and without the analysis its recording kept.
 *
 *   node --expose-gc --import tsx bench/reopen.ts [SIZES]      (default 100000,1000000)
 *
 * For each size: records a session of generated traffic (test/helpers/known-traffic.ts:
 * request/reply calls, orphans, AMQP fire-and-forget, Kafka records) through the Recorder
 * and the live analysis, as a recording does. Then, in the same run and on the same file:
 *
 * - after: the kept analysis loaded;
 * - before: the kept analysis removed, as every file was before it was kept: opening
 *   reads every message again (the recompute rate is messages / time to ready).
 *
 * Each reopen is timed from `openSession` to the figures of the Messages (first page,
 * count, destinations), Conversations (summary, pairs, latency), Flow (topology) and
 * Undelivered views, through the same engine calls the renderer makes; then `flowscope
 * inspect --json` is timed as a user runs it (its own start-up, `flowscope --help`, is
 * measured beside it). Timings on a shared machine are noisy: compare within one run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine } from '../src/core/engine/engine.ts';
import { SessionStore } from '../src/core/store/session-store.ts';
import type { SessionHandle } from '../src/core/engine/session-handle.ts';
import { KnownTraffic, type KnownEvent } from '../test/helpers/known-traffic.ts';

const SIZES = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-reopen-'));
const BIN = path.resolve('bin/flowscope.mjs');
let engines = 0;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

async function record(file: string, n: number): Promise<number> {
  const engine = new Engine({ dataDir: path.join(dir, `e${++engines}`), version: 'bench', transport: 'bridge' });
  const session = engine.newSession(file);
  const gen = new KnownTraffic(12);
  const sink = session.registerEndpoint('gen-1', 'kafka', 'generator').sink('gen-1');
  const push = (events: KnownEvent[]) => {
    for (const e of events) {
      if ('message' in e) sink.message(e.message);
      else sink.offsets!(e.offsets);
    }
  };
  let left = n;
  while (left > 0) {
    const events = gen.take(Math.min(20_000, left));
    left -= events.length;
    push(events);
    await new Promise((r) => setImmediate(r));
  }
  push(gen.end());
  await session.stopRecording();
  await engine.shutdown();
  return gen.truth.messages;
}

interface Reopen {
  ready: number;
  views: Record<string, number>;
  total: number;
}

/** Opens `file` in a fresh engine and asks for what the four views show, timing each step. */
async function reopen(file: string): Promise<Reopen> {
  const engine = new Engine({ dataDir: path.join(dir, `e${++engines}`), version: 'bench', transport: 'bridge' });
  try {
    const t0 = performance.now();
    const session: SessionHandle = engine.openSession(file);
    const sessionId = session.id;
    await session.analysisRead();
    const ready = performance.now() - t0;
    const views: Record<string, number> = {};
    const time = async (name: string, run: () => Promise<unknown>) => {
      const s = performance.now();
      await run();
      views[name] = performance.now() - s;
    };
    await time('Messages', async () => {
      await engine.call('renderer:session:info', { sessionId });
      await engine.call('renderer:messages:query', { sessionId, filter: {}, offset: 0, limit: 200, withTotal: true });
      await engine.call('renderer:messages:destinations', { sessionId });
    });
    await time('Conversations', async () => {
      await engine.call('renderer:analysis:summary', { sessionId });
      await engine.call('renderer:analysis:pairs', { sessionId, offset: 0, limit: 200 });
      await engine.call('renderer:analysis:latency', { sessionId });
    });
    await time('Flow', () => engine.call('renderer:analysis:topology', { sessionId }));
    await time('Undelivered', () => engine.call('renderer:analysis:undelivered', { sessionId }));
    return { ready, views, total: performance.now() - t0 };
  } finally {
    await engine.shutdown();
  }
}

/** The open-time damage check alone (store/integrity.ts: O(file size) by design), best of three. */
function openCheck(file: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    SessionStore.open(file, { readonly: true }).close();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function inspect(file: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'inspect', '--json', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`inspect failed: ${r.stderr}`);
  return ms;
}

function dropKept(file: string): void {
  const db = new Database(file);
  try {
    db.exec('DELETE FROM analysis_snapshot');
  } finally {
    db.close();
  }
}

const lines: string[] = [];
const out = (l: string) => {
  lines.push(l);
  console.log(l);
};

const help = (() => {
  const t0 = performance.now();
  spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  return performance.now() - t0;
})();

out(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}; \`flowscope --help\` ${seconds(help)} (the CLI's own start-up, inside every inspect figure).`);
out('');
out('| session | recorded at | reopen before (recomputed): ready / views | recompute rate | reopen after (kept): ready / views | speed-up | inspect --json before | after |');
out('|---|---|---|---|---|---|---|---|');
const after: Record<number, number> = {};
const checks: Record<number, number> = {};
for (const n of SIZES) {
  const file = path.join(dir, `s${n}.flowscope`);
  const t0 = performance.now();
  const messages = await record(file, n);
  const recMs = performance.now() - t0;
  const size = fs.statSync(file).size;

  // The analysis the recording kept; then without it (opening writes nothing back).
  const kept = await reopen(file);
  const inspectAfter = inspect(file);
  checks[messages] = openCheck(file);
  dropKept(file);
  const before = await reopen(file);
  const inspectBefore = inspect(file);
  after[messages] = kept.total;
  const views = (r: Reopen) => `${seconds(r.ready)} / ${seconds(r.total)}`;
  out(
    `| ${messages.toLocaleString('en-US')} msgs, ${(size / 1e6).toFixed(0)} MB | ${rate(messages, recMs)} | ${views(before)} | ${rate(messages, before.ready)} | ${views(kept)} | ${(before.total / kept.total).toFixed(1)}× | ${seconds(inspectBefore)} | ${seconds(inspectAfter)} |`,
  );
  out(`|   after, per view | | | | ${Object.entries(kept.views).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')}; of ready, the open-time damage check ${Math.round(checks[messages]!)} ms | | | |`);
}
const sizes = Object.keys(after).map(Number).sort((a, b) => a - b);
if (sizes.length >= 2) {
  const small = sizes[0]!;
  const big = sizes[sizes.length - 1]!;
  out('');
  out(`Reopen with the kept analysis, ${(big / small).toFixed(0)}× the messages: ${(after[big]! / after[small]!).toFixed(2)}× the time (target ≤ 2×).`);
  const rest = (n: number) => Math.max(1, after[n]! - checks[n]!);
  out(`Without the open-time damage check (a walk of every page, O(file size), store/integrity.ts): ${(rest(big) / rest(small)).toFixed(2)}×.`);
}
fs.rmSync(dir, { recursive: true, force: true });
if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, lines.join('\n') + '\n');
