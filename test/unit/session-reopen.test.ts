import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine } from '../../src/core/engine/engine.ts';
import { keepAnalysis } from '../../src/core/engine/session-analysis.ts';
import type { SessionHandle } from '../../src/core/engine/session-handle.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { AnalysisStatus, TimelineSeries } from '../../src/shared/views.ts';
import { niceBucket, timelineSeries } from '../../src/core/analysis/timeline-buckets.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { KnownTraffic, percentile, type KnownEvent, type KnownTruth } from '../helpers/known-traffic.ts';

// Issue 12: a session keeps the analysis its recording computed. Reopened, it shows the
// same figures at once; with the kept analysis gone, stale or from an older format, it is
// analysed again with progress and gives the same figures; recorded into again, and with
// messages the kept analysis never saw (a crash after its last checkpoint), it goes on and
// stays right. Every figure is checked against the generator's truth. No timing is asserted.

const TOTAL = Number(process.env.FLOWSCOPE_REOPEN_MESSAGES ?? 1_000_000);
const dir = tmpDir();

const engineFor = (name: string) => new Engine({ dataDir: path.join(dir, name), version: 'test', transport: 'bridge' });

/** Records `count` or so generated messages into `session` through its Recorder, ending the traffic. */
async function record(session: SessionHandle, gen: KnownTraffic, count: number, endpoint: string): Promise<void> {
  const sink = session.registerEndpoint(endpoint, 'kafka', 'generator').sink(endpoint);
  const push = (events: KnownEvent[]) => {
    for (const e of events) {
      if ('message' in e) sink.message(e.message);
      else sink.offsets!(e.offsets);
    }
  };
  let left = count;
  while (left > 0) {
    const events = gen.take(Math.min(20_000, left));
    left -= events.length;
    push(events);
    await new Promise((r) => setImmediate(r));
  }
  push(gen.end());
  await session.stopRecording();
}

/** What the Messages, Flow, Conversations and Undelivered views show, as the renderer asks for it. */
async function figures(engine: Engine, sessionId: string) {
  const strip = <T extends { analysis: AnalysisStatus }>({ analysis, ...rest }: T) => {
    assert.deepEqual(analysis, { state: 'ready' }, 'the answer is complete');
    return rest;
  };
  const pairs = (status?: 'matched' | 'unanswered' | 'orphan') =>
    engine.call('renderer:analysis:pairs', { sessionId, offset: 0, limit: 500, ...(status ? { status } : {}) }).then(strip);
  return {
    // What the analysis and the file hold, not how this engine's recording went (endpoints, storage).
    info: await engine.call('renderer:session:info', { sessionId }).then(({ analysis: _a, endpoints: _e, id: _i, storage: _s, ...info }) => info),
    summary: await engine.call('renderer:analysis:summary', { sessionId }).then(strip),
    pairs: await pairs(),
    unanswered: await pairs('unanswered'),
    orphans: await pairs('orphan'),
    latency: await engine.call('renderer:analysis:latency', { sessionId }).then(strip),
    calls: await engine.call('renderer:analysis:latency', { sessionId, destination: 'calls.req' }).then(strip),
    undelivered: await engine.call('renderer:analysis:undelivered', { sessionId }).then(strip),
    topology: await engine.call('renderer:analysis:topology', { sessionId }).then(strip),
    destinations: await engine.call('renderer:messages:destinations', { sessionId }),
    timeline: await engine.call('renderer:analysis:timeline', { sessionId, filter: {}, buckets: 300 }),
  };
}
type Figures = Awaited<ReturnType<typeof figures>>;

/**
 * The figures of a reading that analysed the file again. Only the order of the undelivered
 * example list may differ from the live reading's: a poll and a message stamped the same
 * millisecond are decided in the order they were recorded live, by time when read back.
 */
function recomputed(f: Figures) {
  const { items, ...undelivered } = f.summary.undelivered;
  return { ...f, summary: { ...f.summary, undelivered: { ...undelivered, items: items.length } } };
}

function assertTruth(f: Figures, truth: KnownTruth, when: string): void {
  const p = f.summary.pairs;
  assert.equal(f.summary.messages, truth.messages, `${when}: every message analysed`);
  assert.equal(f.info.messageCount, truth.messages, `${when}: every message stored`);
  assert.deepEqual(
    { matched: p.matched, unanswered: p.unanswered, orphans: p.orphans, duplicates: p.duplicates, late: p.late, pending: p.pending },
    { matched: truth.matched, unanswered: truth.unanswered, orphans: truth.orphans, duplicates: 0, late: 0, pending: 0 },
    `${when}: the pairs`,
  );
  const sorted = [...truth.latencies].sort((a, b) => a - b);
  assert.equal(p.latencyMs.count, truth.matched);
  assert.equal(p.latencyMs.max, sorted[sorted.length - 1]);
  for (const [q, got] of [[0.5, p.latencyMs.p50], [0.95, p.latencyMs.p95], [0.99, p.latencyMs.p99]] as const) {
    const want = percentile(sorted, q);
    // Past 2048 samples the percentiles come from a log histogram (≈1.6 % wide buckets).
    assert.ok(got !== null && Math.abs(got - want) <= want * 0.02, `${when}: p${q * 100} ${got} vs true ${want}`);
  }
  assert.deepEqual(
    f.summary.undelivered.byReason,
    { unroutable: truth.unroutable, 'never-delivered': truth.neverDelivered, 'no-consumer-group': truth.noConsumerGroup },
    `${when}: undelivered by reason`,
  );
  assert.equal(f.summary.undelivered.total, truth.unroutable + truth.neverDelivered + truth.noConsumerGroup);
  const groups = Object.fromEntries(f.undelivered.groups.map((g) => [`${g.reason} ${g.destination}`, g.count]));
  assert.equal(groups['no-consumer-group telemetry'], truth.noConsumerGroup, `${when}: the Undelivered view's groups`);
}

/** The destinations the analysis tallied are those the store counts, row by row. */
function assertDestinationsAsStored(f: Figures, file: string): void {
  const store = SessionStore.open(file, { readonly: true });
  try {
    const key = (d: { transport: string; destKind: string; destination: string }) => `${d.transport} ${d.destKind} ${d.destination}`;
    const sorted = <T extends { transport: string; destKind: string; destination: string }>(l: T[]) => [...l].sort((a, b) => key(a).localeCompare(key(b)));
    assert.deepEqual(sorted(f.destinations), sorted(store.destinations()), 'the destinations as the store counts them');
    // The timeline the analysis tallied: the store's counts at the width it drew (the one asked for, or the next that its kept buckets add up to).
    const range = store.eventTimeRange();
    const asked = niceBucket(Math.max(1, range.last! - range.first!) / 300);
    assert.ok(f.timeline.bucketMs >= asked && f.timeline.bucketMs <= asked * 3, `timeline buckets of ${f.timeline.bucketMs} ms for ${asked} ms asked`);
    const bySeries = (t: TimelineSeries) => ({ ...t, series: [...t.series].sort((a, b) => a.destination.localeCompare(b.destination)) });
    const stored = timelineSeries(range.first!, range.last!, f.timeline.bucketMs, store.timeline({}, f.timeline.bucketMs));
    assert.deepEqual(bySeries(f.timeline), bySeries(stored), 'the timeline as the store counts it');
    assert.equal(f.timeline.series.reduce((n, s) => n + s.counts.reduce((a, b) => a + b, 0), 0), f.info.messageCount, 'every message on the timeline');
  } finally {
    store.close();
  }
}

/** Opens `file` in a fresh engine, noting the analysis progress it reports. */
async function reopen(name: string, file: string) {
  const engine = engineFor(name);
  const progress: AnalysisStatus[] = [];
  engine.onEvent((e) => {
    if (e.event === 'main:analysis:progress') progress.push(e.payload.analysis);
  });
  const t0 = performance.now();
  const session = engine.openSession(file);
  const atOpen = session.info().analysis;
  assert.deepEqual(await session.analysisRead(), { state: 'ready' });
  const f = await figures(engine, session.id);
  const ms = performance.now() - t0;
  const running = progress.filter((s): s is Extract<AnalysisStatus, { state: 'running' }> => s.state === 'running');
  return { engine, session, atOpen, running, f, ms };
}

function keptAnalysis(file: string, sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

test(`a ${TOTAL.toLocaleString('en')}-message session reopens with the figures it was recorded with`, { timeout: 900_000 }, async (t) => {
  const file = path.join(dir, 'million.flowscope');
  const gen = new KnownTraffic(12);

  // Recorded through the Recorder and the live analysis, in two recordings into one file.
  const first = engineFor('rec1');
  let t0 = performance.now();
  const s1 = first.newSession(file);
  await record(s1, gen, Math.round(TOTAL * 0.7), 'gen-1');
  t.diagnostic(`recorded ${gen.truth.messages} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const recorded = await figures(first, s1.id);
  assertTruth(recorded, gen.truth, 'recorded');
  await first.shutdown();
  assertDestinationsAsStored(recorded, file);

  const r1 = await reopen('open1', file);
  t.diagnostic(`reopened in ${r1.ms.toFixed(0)} ms`);
  assert.deepEqual(r1.atOpen, { state: 'ready' }, 'the kept analysis is ready as the session opens');
  assert.deepEqual(r1.running, [], 'no message is read again');
  assert.deepEqual(r1.f, recorded, 'the same figures as when it was recorded');

  // Recording more into the reopened session goes on from the kept analysis.
  t0 = performance.now();
  await record(r1.session, gen, TOTAL - gen.truth.messages, 'gen-2');
  t.diagnostic(`recorded on to ${gen.truth.messages} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const more = await figures(r1.engine, r1.session.id);
  assertTruth(more, gen.truth, 'recorded into again');
  await r1.engine.shutdown();

  const r2 = await reopen('open2', file);
  t.diagnostic(`reopened ${gen.truth.messages} messages in ${r2.ms.toFixed(0)} ms`);
  assert.deepEqual(r2.running, []);
  assert.deepEqual(r2.f, more);
  await r2.engine.shutdown();

  // Messages the kept analysis never saw (a recording that crashed after its last checkpoint): only they are read.
  const store = SessionStore.open(file);
  const before = store.lastSeq;
  let batch: CapturedMessage[] = [];
  for (const e of [...gen.take(30_000), ...gen.end()]) {
    if ('message' in e) {
      batch.push(e.message);
      continue;
    }
    store.insertBatch(batch);
    batch = [];
    store.addOffsets(e.offsets);
  }
  store.insertBatch(batch);
  const tail = store.lastSeq - before;
  store.close();
  const r3 = await reopen('open3', file);
  assert.ok(r3.running.length > 0, 'the tail is read with progress');
  assert.ok(r3.running.every((s) => s.total === tail), `progress counts the ${tail} new messages only, not the session`);
  assertTruth(r3.f, gen.truth, 'reopened with a tail');
  assertDestinationsAsStored(r3.f, file);
  await r3.engine.shutdown();
});

test('a kept analysis removed, from an older analysis format, other settings, damaged or stale is analysed again, with the same figures', async () => {
  const file = path.join(dir, 'small.flowscope');
  const gen = new KnownTraffic(7);
  const engine = engineFor('small');
  const s = engine.newSession(file);
  await record(s, gen, 60_000, 'gen-1');
  const recorded = await figures(engine, s.id);
  assertTruth(recorded, gen.truth, 'recorded');
  await engine.shutdown();
  const pristine = `${file}.recorded`;
  fs.copyFileSync(file, pristine);

  const cases: [string, string, boolean][] = [
    // Results damaged, the undecided state intact: it is decided again, nothing is read.
    ['its results damaged', "UPDATE analysis_snapshot SET results = X'00010203'", false],
    ['an older analysis format', 'UPDATE analysis_snapshot SET format = 0', true],
    ['damaged', "UPDATE analysis_snapshot SET state = X'00010203', results = X'00010203'", true],
    ['about other messages', 'UPDATE analysis_snapshot SET seq_time = seq_time + 1', true],
    ['removed', 'DELETE FROM analysis_snapshot', true],
  ];
  for (const [what, sql, again] of cases) {
    fs.copyFileSync(pristine, file);
    keptAnalysis(file, sql);
    const r = await reopen(`small-${what}`, file);
    assert.equal(r.running.length > 0, again, `${what}: ${again ? '' : 'not '}analysed again with progress`);
    if (again) assert.ok(r.running.every((p) => p.total === gen.truth.messages), `${what}: progress over the whole session`);
    assert.deepEqual(again ? recomputed(r.f) : r.f, again ? recomputed(recorded) : recorded, `${what}: the same figures`);
    await r.engine.shutdown();
    // Opening writes nothing: the next open finds the file as it was.
    const next = await reopen(`small-${what}-again`, file);
    assert.equal(next.running.length > 0, again, `${what}: opening did not write a kept analysis`);
    await next.engine.shutdown();
  }
  fs.copyFileSync(pristine, file);

  // Other analysis settings: the kept analysis does not apply; the figures are those settings' own.
  const other = new Engine({ dataDir: path.join(dir, 'small-other'), version: 'test', transport: 'bridge', analysis: { pairing: { timeoutMs: 10 } } });
  const progress: AnalysisStatus[] = [];
  other.onEvent((e) => e.event === 'main:analysis:progress' && progress.push(e.payload.analysis));
  const o = other.openSession(file);
  await o.analysisRead();
  const summary = await other.call('renderer:analysis:summary', { sessionId: o.id });
  assert.ok(progress.some((p) => p.state === 'running'), 'other settings: analysed again');
  assert.ok(summary.pairs.late > 0, 'with a 10 ms timeout most replies are late');
  await other.shutdown();

  // Back to the default settings: the kept analysis is still the recording's.
  const back = await reopen('small-again', file);
  assert.deepEqual(back.running, []);
  assert.deepEqual(back.f, recorded);
  await back.engine.shutdown();

  // A file Flowscope made itself (as an import is) keeps the analysis it read: the next open is at once.
  keptAnalysis(file, 'DELETE FROM analysis_snapshot');
  const store = SessionStore.open(file);
  try {
    assert.deepEqual(await keepAnalysis(store), { state: 'ready' });
  } finally {
    store.close();
  }
  const kept = await reopen('small-kept', file);
  assert.deepEqual(kept.running, []);
  assert.deepEqual(recomputed(kept.f), recomputed(recorded));
  await kept.engine.shutdown();
});
