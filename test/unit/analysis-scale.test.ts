import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { AnalysisState, feedSession } from '../../src/core/engine/session-analysis.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { MixedTraffic } from './analysis-traffic.ts';

const TOTAL = Number(process.env.FLOWSCOPE_SCALE_MESSAGES ?? 1_000_000);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

test(`${TOTAL.toLocaleString('en')} messages analyse from a saved session in bounded memory`, { timeout: 600_000 }, async (t) => {
  const store = SessionStore.create(path.join(tmpDir(), 'million.flowscope'));
  try {
    const gen = new MixedTraffic(2024);
    const writeStart = performance.now();
    let written = 0;
    while (written < TOTAL) {
      const chunk = gen.take(Math.min(10_000, TOTAL - written));
      store.insertBatch(chunk.messages);
      store.addOffsets(chunk.offsets);
      written += chunk.messages.length;
    }
    const rest = gen.end();
    store.insertBatch(rest.messages);
    store.addOffsets(rest.offsets);
    const writeMs = performance.now() - writeStart;

    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    let livePeak = base;
    let gcMs = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const state = new AnalysisState();
    await feedSession(store, state, {
      page: 10_000,
      onProgress: ({ done }) => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        // Every 100k messages: what the analysis really holds, without garbage.
        if (done % 100_000 < 10_000) {
          const g = performance.now();
          gc();
          livePeak = Math.max(livePeak, process.memoryUsage().heapUsed);
          gcMs += performance.now() - g;
        }
      },
    });
    const result = state.finish(store.recordingEnd());
    const ms = performance.now() - start - gcMs;
    const cpu = process.cpuUsage(cpu0);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    gc();
    const retained = process.memoryUsage().heapUsed - base;

    const liveMb = (livePeak - base) / 1e6;
    const rate = (n: number, msec: number): string => Math.round(n / (msec / 1000)).toLocaleString('en');
    t.diagnostic(`wrote ${result.messages} messages in ${(writeMs / 1000).toFixed(1)} s`);
    t.diagnostic(`analysed in ${(ms / 1000).toFixed(1)} s: ${rate(result.messages, ms)} msgs/s (CPU ${((cpu.user + cpu.system) / 1000 / 1000).toFixed(1)} s, reading the store included)`);
    t.diagnostic(`heap: live peak +${liveMb.toFixed(0)} MB, peak with garbage +${((peak - base) / 1e6).toFixed(0)} MB, retained after finish ${(retained / 1e6).toFixed(0)} MB`);
    t.diagnostic(
      `pairs ${result.pairs.matched} matched / ${result.pairs.unanswered} unanswered; undelivered ${result.undelivered.total}; ` +
        `${result.topology.nodes.length} nodes, ${result.topology.edges.length} edges`,
    );

    assert.equal(result.messages, written + rest.messages.length);
    assert.ok(result.pairs.matched > TOTAL / 10, 'the traffic is mostly answered calls');
    assert.ok(result.undelivered.total > 0 && result.undelivered.items.length <= 1000, 'the item list is capped');
    assert.ok(liveMb < 300, `the analysis held ${liveMb.toFixed(0)} MB`);
    assert.ok(retained / 1e6 < 150, `the finished analysis holds ${(retained / 1e6).toFixed(0)} MB`);
  } finally {
    store.close();
  }
});
