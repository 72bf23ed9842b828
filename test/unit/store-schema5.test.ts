import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { filterToSql } from '../../src/core/store/filter-sql.ts';
import { TIME_BLOCKS_COLUMNS } from '../../src/core/store/rows.ts';
import { TIME_BLOCK } from '../../src/core/store/time-blocks.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import type { MessageFilter } from '../../src/shared/filter.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeSchema4 } from '../helpers/old-schemas.ts';

// Schema 5 finds capture and event time through time_blocks, a row per TIME_BLOCK messages,
// instead of an index each (issue 12). Every time-bounded read must give exactly what a
// scan of the messages gives: with the bounds inside, across and outside the blocks, in the
// tail the blocks do not cover yet, with event times out of seq order (partitions produced
// at different times) and capture times that step back (a clock adjusted), live on the
// writer thread, inline, and after a reopen.

const dir = tmpDir();
let n = 0;
const fresh = (name: string): string => path.join(dir, `${++n}-${name}`);

const T0 = 1_767_000_000_000;

/**
 * Message i: capture time rises 1 ms a message, stepping back 40 ms every 700th; event time
 * is that of one of two partitions, one produced an hour before the other, interleaved.
 */
function msg(i: number): CapturedMessage {
  const time = T0 + i - (i % 700 === 0 ? 40 : 0);
  const eventTime = i % 2 === 0 ? T0 - 3_600_000 + i * 2 : T0 + i * 3;
  return {
    time,
    eventTime,
    eventTimeSource: 'kafka-create',
    transport: 'kafka',
    endpoint: 'k1',
    event: 'publish',
    destKind: 'topic',
    destination: i % 3 === 0 ? 'orders' : 'payments',
    partition: i % 2,
    payload: Buffer.from(`{"i":${i}}`),
  };
}

/** What a scan finds: the seqs (1-based, in order) of the messages `keep` selects. */
function truth(msgs: readonly CapturedMessage[], keep: (m: CapturedMessage) => boolean): number[] {
  const out: number[] = [];
  msgs.forEach((m, i) => {
    if (keep(m)) out.push(i + 1);
  });
  return out;
}

const seqsOf = (store: SessionStore, f: MessageFilter): number[] => store.rows(f, { limit: 100_000 }).map((r) => r.seq);

/** Bounds that fall before, inside, across and after the blocks and the tail of `count` messages. */
function checkReads(store: SessionStore, msgs: readonly CapturedMessage[], label: string): void {
  const events = msgs.map((m) => m.eventTime!);
  const captures = msgs.map((m) => m.time);
  const min = (a: number[]): number => a.reduce((x, y) => Math.min(x, y));
  const max = (a: number[]): number => a.reduce((x, y) => Math.max(x, y));
  const eMin = min(events);
  const eMax = max(events);
  const cMin = min(captures);
  const cMax = max(captures);
  const ranges: [number | undefined, number | undefined][] = [
    [eMin, eMax],
    [eMin - 10, eMin - 1],
    [eMax + 1, undefined],
    [undefined, eMin + 500],
    [eMin + 1000, eMin + 1200],
    [T0 + 3 * (msgs.length - 40), undefined],
    [T0 - 3_600_000 + 2 * 1500, T0 + 3 * 200],
    [T0 + 3 * 1001, T0 + 3 * 1001],
  ];
  for (const [fromTime, toTime] of ranges) {
    const f: MessageFilter = { ...(fromTime !== undefined ? { fromTime } : {}), ...(toTime !== undefined ? { toTime } : {}) };
    const want = truth(msgs, (m) => (fromTime === undefined || m.eventTime! >= fromTime) && (toTime === undefined || m.eventTime! <= toTime));
    assert.deepEqual(seqsOf(store, f), want, `${label}: event time ${fromTime}…${toTime}`);
    assert.equal(store.count(f), want.length, `${label}: count ${fromTime}…${toTime}`);
  }
  for (const until of [cMin - 1, cMin, T0 + 699, T0 + 700, T0 + 1500, cMax - 3, cMax]) {
    const want = truth(msgs, (m) => m.time <= until);
    assert.deepEqual(seqsOf(store, { untilCapture: until }), want, `${label}: captured until ${until}`);
    assert.deepEqual(
      seqsOf(store, { untilCapture: until, destinations: ['orders'], fromTime: eMin + 100 }),
      truth(msgs, (m) => m.time <= until && m.destination === 'orders' && m.eventTime! >= eMin + 100),
      `${label}: captured until ${until}, with other bounds`,
    );
    const paged = store.page(0, 100_000, until).map((m) => m.seq);
    assert.deepEqual(paged, want, `${label}: page up to ${until}`);
  }
  assert.deepEqual(store.captureSpan(), { first: cMin, last: cMax }, `${label}: capture span`);
  assert.deepEqual(store.eventTimeRange(), { first: eMin, last: eMax }, `${label}: event span`);
  assert.deepEqual(store.timeRange(), { first: cMin, last: cMax, count: msgs.length }, `${label}: time range`);
  assert.equal(store.recordingEnd(), cMax, `${label}: recording end`);
}

test('a new file (schema 5 on) has 8 KiB pages and no time indexes; time reads are exact inline, on the writer thread and reopened', async () => {
  const file = fresh('v5.flowscope');
  const store = SessionStore.create(file);
  assert.ok(Number(store.getMeta().schema_version) >= 5);
  const msgs: CapturedMessage[] = [];
  for (let i = 1; i <= 2 * TIME_BLOCK + 300; i++) msgs.push(msg(i));
  // Inline, in batches that end inside and on block boundaries.
  store.insertBatch(msgs.slice(0, 10));
  store.insertBatch(msgs.slice(10, TIME_BLOCK));
  store.insertBatch(msgs.slice(TIME_BLOCK, TIME_BLOCK + 500));
  checkReads(store, msgs.slice(0, TIME_BLOCK + 500), 'inline');
  // Then on the writer thread.
  const recorder = new Recorder(store, { writerThread: true });
  const sink = recorder.sink('k1');
  for (const m of msgs.slice(TIME_BLOCK + 500)) sink.message({ ...m });
  await recorder.settle();
  const live = SessionStore.open(file, { readonly: true });
  checkReads(live, msgs, 'while recording');
  live.close();
  await recorder.stop();
  store.close();

  const db = new Database(file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true });
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('messages', 'message_rows')").all() as { name: string }[]).map((r) => r.name);
  const blocks = db.prepare('SELECT first_seq AS a, last_seq AS b FROM time_blocks ORDER BY first_seq').all() as { a: number; b: number }[];
  const { where, params } = filterToSql({ fromTime: T0 + 3 * 1001, toTime: T0 + 3 * 1001 }, {}, TIME_BLOCKS_COLUMNS);
  const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT seq FROM messages ${where}`).all(params) as { detail: string }[]).map((r) => r.detail).join('; ');
  db.close();
  assert.equal(pageSize, 8192);
  assert.ok(!indexes.includes('messages_time') && !indexes.includes('messages_event_time'), `no time index: ${indexes.join(', ')}`);
  assert.deepEqual(blocks, [
    { a: 1, b: TIME_BLOCK },
    { a: TIME_BLOCK + 1, b: 2 * TIME_BLOCK },
  ]);
  assert.match(plan, /SEARCH message(?:s|_rows) USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/, `a time bound reads a seq range: ${plan}`);

  const reopened = SessionStore.open(file, { readonly: true });
  checkReads(reopened, msgs, 'reopened');
  reopened.close();
});

test('an empty schema-5 file has no spans, and a file of schema 4 keeps its time indexes when recorded into', async () => {
  const empty = SessionStore.create(fresh('empty.flowscope'));
  assert.deepEqual(empty.captureSpan(), { first: null, last: null });
  assert.deepEqual(empty.eventTimeRange(), { first: null, last: null });
  assert.equal(empty.recordingEnd(), undefined);
  assert.deepEqual(seqsOf(empty, { fromTime: 0 }), []);
  empty.close();

  const file = fresh('v4.flowscope');
  makeSchema4(file);
  const rec = SessionStore.open(file);
  const msgs: CapturedMessage[] = [];
  for (let i = 1; i <= TIME_BLOCK + 50; i++) msgs.push(msg(i));
  rec.insertBatch(msgs.slice(0, 100));
  const recorder = new Recorder(rec, { writerThread: true });
  const sink = recorder.sink('k1');
  for (const m of msgs.slice(100)) sink.message({ ...m });
  await recorder.stop();
  assert.equal(rec.getMeta().schema_version, '4');
  checkReads(rec, msgs, 'schema 4');
  rec.close();
  const db = new Database(file, { readonly: true });
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE name IN ('time_blocks', 'messages_time', 'messages_event_time')").all() as { name: string }[]).map((r) => r.name);
  db.close();
  assert.deepEqual(names.sort(), ['messages_event_time', 'messages_time'], 'the file keeps its schema-4 layout');
});

/** The blocks a file should have: each whole TIME_BLOCK run of its messages' seqs and time ranges, read from the messages. */
function blocksFromRows(file: string): { rows: unknown[]; truth: unknown[] } {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT first_seq, last_seq, min_time, max_time, min_event, max_event FROM time_blocks ORDER BY first_seq').all();
  const truth = db
    .prepare(
      `SELECT MIN(seq) AS first_seq, MAX(seq) AS last_seq, MIN(time) AS min_time, MAX(time) AS max_time,
       MIN(event_time) AS min_event, MAX(event_time) AS max_event FROM messages
       WHERE seq <= (SELECT MAX(seq) FROM messages) / ${TIME_BLOCK} * ${TIME_BLOCK}
       GROUP BY (seq - 1) / ${TIME_BLOCK} ORDER BY first_seq`,
    )
    .all();
  db.close();
  return { rows, truth };
}

test('the writer thread makes the time blocks from the rows it writes: the same blocks as the messages give, across batches, recordings and a reopen', async () => {
  const file = fresh('writer-blocks.flowscope');
  const store = SessionStore.create(file);
  const msgs: CapturedMessage[] = [];
  for (let i = 1; i <= 7 * TIME_BLOCK + 77; i++) msgs.push(msg(i));
  // Uneven batches: some end inside a block, some on its last message, one spans three.
  const cuts = [1, 500, TIME_BLOCK, TIME_BLOCK + 1, 2 * TIME_BLOCK - 1, 5 * TIME_BLOCK + 3];
  let recorder = new Recorder(store, { writerThread: true });
  let sink = recorder.sink('k1');
  msgs.slice(0, 5 * TIME_BLOCK + 3).forEach((m, i) => {
    sink.message({ ...m });
    if (cuts.includes(i + 1)) recorder.flush();
  });
  await recorder.stop();
  // A second recording into the same file starts from its tail (three messages past a block).
  recorder = new Recorder(store, { writerThread: true });
  sink = recorder.sink('k1');
  for (const m of msgs.slice(5 * TIME_BLOCK + 3)) sink.message({ ...m });
  await recorder.stop();
  store.close();
  const { rows, truth } = blocksFromRows(file);
  assert.equal(rows.length, 7);
  assert.deepEqual(rows, truth);
  const reopened = SessionStore.open(file, { readonly: true });
  checkReads(reopened, msgs, 'two recordings');
  reopened.close();
});

test('a writer-thread batch waits for a write another connection is making, instead of failing with "database is locked"', async () => {
  // The writer thread's transaction starts by reading the file's tail (the time blocks do,
  // on a new writer and after a failed batch). Begun deferred, it could then not take the
  // write lock once the engine's own connection had committed meanwhile (a gap, the kept
  // analysis): SQLite said "database is locked" at once, and a disk-full pause was followed
  // by a second, spurious one. Here the other connection holds the write lock while the
  // batch arrives and commits a change before it lets go.
  const file = fresh('writer-waits.flowscope');
  const store = SessionStore.create(file);
  const writer = store.openWriter();
  const other = new Database(file);
  try {
    other.exec('BEGIN IMMEDIATE');
    other.prepare("INSERT INTO meta (key, value) VALUES ('notes', 'written meanwhile')").run();
    const batch = Array.from({ length: 10 }, (_, i) => {
      const m = msg(i + 1);
      return { ...m, seq: i + 1, size: m.payload.byteLength };
    });
    const written = writer.write(batch);
    // The writer thread is inside its transaction by now, waiting for the lock.
    await new Promise((r) => setTimeout(r, 300));
    other.exec('COMMIT');
    assert.equal(await written, 10, 'the batch is written once the other connection is done');
  } finally {
    other.close();
    await writer.close();
  }
  store.close();
  const check = new Database(file, { readonly: true });
  assert.equal((check.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n, 10);
  assert.equal((check.prepare("SELECT value FROM meta WHERE key = 'notes'").get() as { value: string }).value, 'written meanwhile');
  check.close();
});
