import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { SessionAnalysis, createEnricher } from '../../src/core/engine/session-analysis.ts';
import type { AnalysisStatus } from '../../src/shared/views.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { isOffset } from './analysis-helpers.ts';
import { MixedTraffic } from './analysis-traffic.ts';

/** A saved session of generated traffic, written the way the scale test writes one. */
function savedSession(name: string, seed: number, count: number): { store: SessionStore; gen: MixedTraffic } {
  const store = SessionStore.create(path.join(tmpDir(), name));
  const gen = new MixedTraffic(seed);
  const part = gen.take(count);
  store.insertBatch(part.messages);
  store.addOffsets(part.offsets);
  return { store, gen };
}

const turn = () => new Promise((r) => setImmediate(r));

test('reading a saved session reports how far it got, at most ten times a second, then ready', async () => {
  const { store, gen } = savedSession('progress.flowscope', 3, 40_000);
  const rest = gen.end();
  store.insertBatch(rest.messages);
  store.addOffsets(rest.offsets);
  try {
    const reports: AnalysisStatus[] = [];
    const analysis = new SessionAnalysis(store, {}, { onProgress: (s) => reports.push(s) });
    const t0 = Date.now();
    analysis.start();
    // While it reads, every answer says it is partial.
    const early = analysis.reader().summary();
    assert.equal(early.analysis.state, 'running');
    assert.equal(early.finished, false);
    assert.deepEqual(await analysis.whenRead(), { state: 'ready' });
    const elapsed = Date.now() - t0;

    const running = reports.filter((r): r is Extract<AnalysisStatus, { state: 'running' }> => r.state === 'running');
    assert.ok(running.length >= 1, 'progress was reported while reading');
    assert.ok(running.length <= elapsed / 100 + 1, `${running.length} reports in ${elapsed} ms`);
    assert.ok(running.every((r) => r.total === store.lastSeq && r.done > 0 && r.done < r.total));
    assert.deepEqual(running.map((r) => r.done), [...running.map((r) => r.done)].sort((a, b) => a - b), 'done only grows');
    assert.deepEqual(reports[reports.length - 1], { state: 'ready' });

    const { analysis: status, ...summary } = analysis.reader().summary();
    assert.deepEqual(status, { state: 'ready' });
    assert.equal(summary.finished, true);
    assert.equal(summary.messages, store.lastSeq);
    assert.deepEqual(summary, (await analyzeSaved(store)).finish());
  } finally {
    store.close();
  }
});

test('a small saved session is analysed by the time it is opened', () => {
  const { store } = savedSession('small.flowscope', 4, 1000);
  try {
    const analysis = new SessionAnalysis(store);
    analysis.start();
    assert.deepEqual(analysis.status(), { state: 'ready' });
    assert.equal(analysis.reader().summary().finished, true);
  } finally {
    store.close();
  }
});

test('recording into a saved session: batches stored while the file is read are neither lost nor counted twice', async () => {
  const { store, gen } = savedSession('continued.flowscope', 9, 30_000);
  try {
    const analysis = new SessionAnalysis(store);
    const recorder = new Recorder(store, {
      flushMs: 60_000,
      enrich: createEnricher(),
      onBatch: (b) => analysis.ingest(b),
      onOffsets: (rows) => analysis.addOffsets(rows),
    });
    // What the session handle does when a recorder starts: the feeder reads the file meanwhile.
    analysis.recordingStarted();
    assert.equal(analysis.status().state, 'running');
    const sink = recorder.sink('mixed');
    const flushed = { whileReading: 0, afterReading: 0 };
    const record = async (events: ReturnType<MixedTraffic['take']>['events']): Promise<void> => {
      let n = 0;
      for (const e of events) {
        if (isOffset(e)) {
          sink.offsets!([e]);
          continue;
        }
        const { seq: _seq, size: _size, ...captured } = e;
        const msg: CapturedMessage = e.transport === 'amqp' ? captured : { ...captured, correlationId: null };
        sink.message(msg);
        // Flush and let the feeder read on, over and over.
        if (++n % 400 === 0) {
          recorder.flush();
          flushed[analysis.status().state === 'running' ? 'whileReading' : 'afterReading'] += 1;
          await turn();
        }
      }
    };
    // Batches land while the file is being read, then after it has been read.
    await record(gen.take(8000).events);
    await analysis.whenRead();
    await record([...gen.take(8000).events, ...gen.end().events]);
    await recorder.stop();
    analysis.recordingStopped();
    assert.deepEqual(await analysis.whenRead(), { state: 'ready' });
    assert.ok(flushed.whileReading > 0 && flushed.afterReading > 0, `batches before and after the file was read: ${JSON.stringify(flushed)}`);

    const reference = (await analyzeSaved(store)).finish();
    assert.equal(reference.messages, store.lastSeq);
    assert.deepEqual(analysis.current.finish(), reference);
  } finally {
    store.close();
  }
});
