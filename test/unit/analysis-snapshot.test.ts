import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import zlib from 'node:zlib';
import { MixedTraffic } from './analysis-traffic.ts';
import { Traffic } from './analysis-helpers.ts';

/** Every figure a view shows, from one state. */
function figures(s: AnalysisState) {
  return {
    summary: s.snapshot(),
    pairs: s.pairsPage({ limit: 100_000 }),
    orphans: s.pairsPage({ limit: 50, status: 'orphan' }),
    latency: s.latencyHistogram(),
    calc: s.latencyHistogram('calc.req'),
    groups: s.undeliveredGroups(),
    undelivered: s.undeliveredPage({ limit: 1000 }),
    topology: s.topologyGraph(),
  };
}

/**
 * Walks two object graphs side by side: every object of the restored one has the class of
 * its counterpart (a part `revive` forgot would have Object's prototype and no methods).
 */
function sameClasses(a: unknown, b: unknown, at: string, seen = new Set<unknown>()): void {
  if (a === null || typeof a !== 'object' || seen.has(a)) return;
  seen.add(a);
  assert.equal(Object.getPrototypeOf(b), Object.getPrototypeOf(a), `${at} keeps its class`);
  if (a instanceof Map) {
    const bm = b as Map<unknown, unknown>;
    for (const [k, v] of a) sameClasses(v, bm.get(k), `${at}.get(${String(k)})`, seen);
    return;
  }
  if (a instanceof Set || ArrayBuffer.isView(a)) return;
  for (const k of Object.keys(a)) {
    const v = (a as Record<string, unknown>)[k];
    if (typeof v === 'function') continue;
    sameClasses(v, (b as Record<string, unknown>)[k], `${at}.${k}`, seen);
  }
}

test('a state saved midway and restored goes on exactly as the original', () => {
  const gen = new MixedTraffic(77);
  const live = new AnalysisState();
  for (let i = 0; i < 4; i++) {
    const part = gen.take(10_000);
    live.addOffsets(part.offsets);
    live.ingest(part.messages);
  }
  live.tick(gen.t.time - 5000);
  const bytes = live.save();
  const restored = AnalysisState.restore(bytes);
  sameClasses(live, restored, 'state');
  assert.deepEqual(figures(restored), figures(live), 'the restored state shows the same figures at once');

  assert.equal(restored.messages, live.messages);
  const rest = [gen.take(20_000), gen.end()];
  for (const part of rest) {
    for (const s of [live, restored]) {
      s.addOffsets(part.offsets);
      s.ingest(part.messages);
    }
  }
  const end = gen.t.time + 60_000;
  live.finish(end);
  restored.finish(end);
  const a = figures(live);
  assert.deepEqual(figures(restored), a, 'fed the same tail, it decides everything the same way');
  assert.ok(a.summary.pairs.matched > 5000 && a.summary.pairs.unanswered > 0 && a.summary.pairs.late > 0, 'the traffic exercises pairing');
  assert.ok(a.summary.undelivered.total > 100, 'and undelivered detection');

  // Saving does not disturb the state it saves: its callbacks still work.
  const again = AnalysisState.restore(live.save());
  assert.deepEqual(figures(again), a);
});

test('a finished state keeps its results alone, a fraction of the state, with the same figures', () => {
  const gen = new MixedTraffic(9);
  const s = new AnalysisState();
  for (const part of [gen.take(30_000), gen.end()]) {
    s.addOffsets(part.offsets);
    s.ingest(part.messages);
  }
  const whole = s.save();
  s.finish(gen.t.time + 1000);
  const bytes = s.saveResults();
  const r = AnalysisState.restoreResults(bytes);
  assert.deepEqual(figures(r), figures(s));
  assert.ok(bytes.length < whole.length / 2, `results ${bytes.length} bytes, the whole state ${whole.length}`);
  assert.throws(() => r.ingest([]), /finished/);
  assert.throws(() => AnalysisState.restoreResults(whole), 'a whole state is not results');
  assert.throws(() => AnalysisState.restore(bytes), 'nor results a whole state');
});

test('damaged or foreign snapshot bytes are refused, not half-loaded', () => {
  const s = new AnalysisState();
  s.ingest(new MixedTraffic(5).take(2000).messages);
  const bytes = s.save();
  const cut = bytes.subarray(0, bytes.length >> 1);
  assert.throws(() => AnalysisState.restore(cut));
  const flipped = Buffer.from(bytes);
  flipped[flipped.length >> 1]! ^= 0xff;
  assert.throws(() => AnalysisState.restore(flipped));
  assert.throws(() => AnalysisState.restore(Buffer.from('not a snapshot')));
});

test('a catch-up of a topic nobody reads is kept as the records it holds, not the room its queues grew into', () => {
  // 3 partitions × 5,000 records, all inside their window when saved: each partition's
  // columns doubled to 8,192 slots for 5,000 values.
  const t = new Traffic();
  const s = new AnalysisState();
  const perPartition = 5000;
  for (let offset = 0; offset < perPartition; offset++) {
    for (let partition = 0; partition < 3; partition++) t.record({ topic: 'orders', partition, offset, body: { n: offset } });
  }
  s.ingest(t.drain().messages);
  const bytes = s.save();
  const raw = zlib.inflateSync(bytes).length;
  // Five numbers a record (offset, seq, time, window start, producer): what the queues hold.
  const held = 3 * perPartition * 5 * 8;
  assert.ok(raw < held * 1.1, `the saved state is ${raw} bytes for ${held} bytes of queued records`);

  const restored = AnalysisState.restore(bytes);
  // Past the restored queues' length: they grow again from exactly what they held.
  for (let offset = perPartition; offset < perPartition + 3000; offset++) t.record({ topic: 'orders', partition: 0, offset, body: { n: offset } });
  const tail = t.drain().messages;
  for (const state of [s, restored]) state.ingest(tail);
  const end = t.time + 120_000;
  s.finish(end);
  restored.finish(end);
  assert.deepEqual(restored.undeliveredGroups(), s.undeliveredGroups());
  assert.equal(s.snapshot().undelivered.total, 3 * perPartition + 3000, 'every record of the unread topic is undelivered');
  assert.deepEqual(restored.snapshot().undelivered, s.snapshot().undelivered);
});
