import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimelineTally } from '../../src/core/analysis/timeline-tally.ts';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { Traffic } from './analysis-helpers.ts';

// Issue 12: the whole session's timeline comes from counts the analysis keeps, not from a
// scan of every row. Its counts must be exactly the store's, at whatever width it draws.

/** Deterministic pseudo-random numbers (a fixed LCG), so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** What the store's query counts (CAST(event_time / bucket AS INTEGER) per destination), by brute force. */
function truth(msgs: readonly { destination: string; eventTime: number }[], bucketMs: number): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const m of msgs) {
    let row = out.get(m.destination);
    if (!row) out.set(m.destination, (row = new Map()));
    const b = Math.trunc(m.eventTime / bucketMs) * bucketMs;
    row.set(b, (row.get(b) ?? 0) + 1);
  }
  return out;
}

function drawn(series: ReturnType<TimelineTally['series']>): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const s of series.series) {
    const row = new Map<number, number>();
    s.counts.forEach((n, i) => n > 0 && row.set(series.buckets[i]!, n));
    out.set(s.destination, row);
  }
  return out;
}

for (const [name, destinations, spanMs, n] of [
  ['a 2-second burst on 3 topics', 3, 2_000, 20_000],
  ['an hour on 40 topics (the kept buckets widen)', 40, 3_600_000, 200_000],
  ['a day on 2,000 topics (wider than asked)', 2_000, 86_400_000, 120_000],
] as const) {
  test(`timeline tally: ${name} is counted exactly as the store would`, () => {
    const rand = lcg(destinations);
    const t0 = 1_764_000_000_000.25;
    const msgs = Array.from({ length: n }, () => ({ destination: `t${Math.floor(rand() * destinations)}`, eventTime: t0 + rand() * spanMs }));
    const tally = new TimelineTally();
    for (const m of msgs) tally.add({ ...m, time: m.eventTime } as unknown as StoredMessage);
    for (const buckets of [50, 300, 1000]) {
      const s = tally.series(buckets);
      assert.equal(s.from, msgs.reduce((a, m) => Math.min(a, m.eventTime), Infinity));
      assert.equal(s.to, msgs.reduce((a, m) => Math.max(a, m.eventTime), -Infinity));
      assert.deepEqual(drawn(s), truth(msgs, s.bucketMs), `${buckets} buckets of ${s.bucketMs} ms`);
      assert.equal(s.buckets.length, Math.floor((s.to! - s.buckets[0]!) / s.bucketMs) + 1, 'every bucket from the first to the last');
      // Few destinations keep buckets far finer than the timeline asks, so it draws what it asked for.
      if (destinations <= 40) assert.ok(s.buckets.length >= buckets / 3 && s.buckets.length <= buckets + 1, `${s.buckets.length} buckets for ${buckets} asked`);
    }
  });
}

test('timeline tally: kept with the analysis, it gives the same timeline after a reopen', () => {
  const t = new Traffic();
  const state = new AnalysisState();
  for (let i = 0; i < 5_000; i++) t.wait(7).record({ topic: i % 2 ? 'orders' : 'payments', offset: i >> 1, body: { i } });
  state.ingest(t.drain().messages);
  const before = state.timelineSeries(300);
  assert.deepEqual(AnalysisState.restore(state.save()).timelineSeries(300), before);
  state.finish();
  assert.deepEqual(AnalysisState.restoreResults(state.saveResults()).timelineSeries(300), before);
  assert.equal(before.series.reduce((n, s) => n + s.counts.reduce((a, b) => a + b, 0), 0), 5_000);
});
