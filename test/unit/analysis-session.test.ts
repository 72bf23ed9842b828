import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { AnalysisState, feedSession } from '../../src/core/engine/session-analysis.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import type { CapturedMessage, StoredMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { isOffset } from './analysis-helpers.ts';
import { MixedTraffic } from './analysis-traffic.ts';

/** Records generated traffic through a real Recorder, analysing each flushed batch live. */
async function recordLive(file: string, seed: number, count: number): Promise<{ live: AnalysisState; store: SessionStore }> {
  const store = SessionStore.create(file);
  const live = new AnalysisState();
  const recorder = new Recorder(store, {
    flushMs: 60_000,
    enrich: createEnricher(),
    onBatch: (b) => live.ingest(b.messages),
    onOffsets: (rows) => live.addOffsets(rows),
  });
  const sink = recorder.sink('mixed');
  const gen = new MixedTraffic(seed);
  let rnd = seed;
  const events = [...gen.take(count).events, ...gen.end().events];
  for (const e of events) {
    if (isOffset(e)) {
      sink.offsets!([e]);
      continue;
    }
    const { seq: _seq, size: _size, ...captured } = e;
    // Connectors do not set correlation ids found in bodies; the enricher does.
    const msg: CapturedMessage = e.transport === 'amqp' ? captured : { ...captured, correlationId: null };
    sink.message(msg);
    rnd = (rnd * 16807) % 2147483647;
    if (rnd % 97 === 0) recorder.flush();
    if (rnd % 389 === 0) live.tick(e.time);
  }
  await recorder.stop();
  return { live, store };
}

test('live analysis over recorder batches equals analysing the saved session', async () => {
  const dir = tmpDir();
  const { live, store } = await recordLive(path.join(dir, 'mixed.flowscope'), 7, 30_000);
  try {
    // The Recorder logged "stopped" at wall-clock time, after the generated traffic's clock.
    const incremental = live.finish(store.recordingEnd());
    const saved = (await analyzeSaved(store)).finish();
    assert.ok(incremental.messages >= 30_000);
    // The traffic exercises every outcome, so equality below means something.
    assert.ok(incremental.pairs.matched > 1000 && incremental.pairs.unanswered > 10 && incremental.pairs.late > 0);
    assert.ok(incremental.pairs.duplicates > 0);
    for (const reason of ['unroutable', 'never-delivered', 'not-consumed', 'no-consumer-group', 'sent-after-close', 'lost-on-drop']) {
      assert.ok((incremental.undelivered.byReason as Record<string, number>)[reason]! > 0, `no ${reason} in the traffic`);
    }
    assert.deepEqual(saved, incremental);

    const savedState = await analyzeSaved(store);
    for (const status of ['matched', 'unanswered', 'orphan', 'duplicate'] as const) {
      assert.deepEqual(savedState.pairsPage({ limit: 50, offset: 20, status }), live.pairsPage({ limit: 50, offset: 20, status }));
    }
    assert.deepEqual(savedState.latencyHistogram('rpc_queue'), live.latencyHistogram('rpc_queue'));
    assert.deepEqual(savedState.undeliveredGroups(), live.undeliveredGroups());
  } finally {
    store.close();
  }
});

test('offsets handed over all at once and chunked async analysis agree', async () => {
  const dir = tmpDir();
  const { store } = await recordLive(path.join(dir, 'mixed2.flowscope'), 11, 10_000);
  try {
    const reference = (await analyzeSaved(store)).finish();
    const chunked = new AnalysisState();
    await feedSession(store, chunked, { page: 777 });
    assert.deepEqual(chunked.finish(store.recordingEnd()), reference);

    // Offsets all at once, then messages in odd-sized pages: how polls are handed over does not matter.
    const caughtUp = new AnalysisState();
    caughtUp.addOffsets(store.offsets());
    const all: StoredMessage[] = [...store.iterate()];
    for (let i = 0; i < all.length; i += 1234) caughtUp.ingest(all.slice(i, i + 1234));
    assert.deepEqual(caughtUp.finish(store.recordingEnd()), reference);
  } finally {
    store.close();
  }
});

test('a finished analysis refuses more messages instead of silently mixing recordings', () => {
  const s = new AnalysisState();
  s.finish(0);
  assert.throws(() => s.ingest([]), /finished/);
});
