import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { CapturedMessage, StoredMessage } from '../../src/shared/model.ts';
import type { MessageFilter } from '../../src/shared/filter.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { fields } from '../helpers/stored-fields.ts';
import { makeSchema5 } from '../helpers/old-schemas.ts';

// Schema 6 stores the six names a message repeats as ids into `names` (issue 12); the
// `messages` view must read exactly what was written, and every read a file of schema 5
// answers must come out the same, on the writer thread, inline and reopened.

const dir = tmpDir();
let n = 0;
const fresh = (name: string): string => path.join(dir, `${++n}-${name}`);

const T0 = 1_767_000_000_000;
const TRANSPORTS = ['kafka', 'amqp', 'ws', 'mqtt'] as const;

/** Message i: four transports, their events and destination kinds, a default-exchange publish, names with non-ASCII text. */
function msg(i: number): CapturedMessage {
  const transport = TRANSPORTS[i % 4]!;
  const base = { time: T0 + i, eventTime: T0 + i - 5, transport, payload: Buffer.from(`{"i":${i}}`) };
  switch (transport) {
    case 'kafka':
      return { ...base, eventTimeSource: 'kafka-create', endpoint: 'k1', event: 'publish', destKind: 'topic', destination: i % 3 === 0 ? 'orders' : 'zahlungsvorgänge', partition: i % 2, offset: String(i) };
    case 'amqp':
      return { ...base, eventTimeSource: 'capture', endpoint: 'r1', event: i % 8 === 1 ? 'publish' : 'deliver', destKind: i % 8 === 1 ? 'exchange' : 'queue', destination: i % 8 === 1 ? '' : 'jobs', routingKey: i % 8 === 1 ? 'jobs' : null };
    case 'ws':
      return { ...base, endpoint: 'w1', event: i % 40 === 2 ? 'open' : 'frame-out', destKind: 'socket', destination: '/chat', connection: `c${i % 3}`, meta: i % 40 === 2 ? { url: '/chat' } : null };
    default:
      return { ...base, endpoint: 'm1', event: 'publish', destKind: 'topic', destination: `sensors/${i % 5}/temp`, meta: { qos: 1 } };
  }
}

const MSGS = Array.from({ length: 3000 }, (_, i) => msg(i));

/** What a reader gets for every message, and for every kind of read that names a name. */
function reads(store: SessionStore): unknown {
  const filters: MessageFilter[] = [
    {},
    { destinations: ['orders'] },
    { destinations: ['zahlungsvorgänge', 'jobs'] },
    { destinations: ['nowhere'] },
    { transports: ['ws'] },
    { transports: ['amqp', 'mqtt'], events: ['publish'] },
    { endpoint: 'k1' },
    { endpoint: 'nobody' },
    { events: ['open'] },
    { connection: 'c1', transports: ['ws'] },
  ];
  return {
    all: store.page(0, 100_000).map(comparable),
    filtered: filters.map((f) => ({ f, count: store.count(f), seqs: store.rows(f, { limit: 100_000 }).map((r) => r.seq), rows: store.rows(f, { limit: 5 }) })),
    destinations: store.destinations(),
    destinationsOfKafka: store.destinations({ transports: ['kafka'] }),
    timeline: store.timeline({}, 500),
    replay: store.destinationsUpTo({}, 2500).sort((a, b) => `${a.destination}\t${a.rk}`.localeCompare(`${b.destination}\t${b.rk}`)),
    opens: [...store.wsOpensUpTo(2000)],
  };
}

function comparable(m: StoredMessage): unknown {
  return { ...m, payload: Buffer.from(m.payload).toString('hex'), key: m.key ? Buffer.from(m.key).toString('hex') : null };
}

test('a new file is schema 6: names are ids in message_rows, and the messages view reads every message and every filter and grouping exactly as a schema-5 file does', async () => {
  const old = fresh('v5.flowscope');
  makeSchema5(old);
  const v5 = SessionStore.open(old);
  v5.insertBatch(MSGS.map((m) => ({ ...m })));
  const want = reads(v5);
  v5.close();

  // Inline, and on the writer thread across several batches.
  const inline = fresh('inline.flowscope');
  const a = SessionStore.create(inline);
  assert.equal(a.getMeta().schema_version, '6');
  a.insertBatch(MSGS.map((m) => ({ ...m })));
  assert.deepEqual(reads(a), want, 'inline');
  a.close();

  const threaded = fresh('writer.flowscope');
  const b = SessionStore.create(threaded);
  const recorder = new Recorder(b, { writerThread: true, maxPending: 700 });
  const sink = recorder.sink('x');
  for (const m of MSGS) sink.message({ ...m });
  await recorder.stop();
  assert.deepEqual(reads(b), want, 'written on the writer thread');
  b.close();
  const reopened = SessionStore.open(threaded, { readonly: true });
  assert.deepEqual(reads(reopened), want, 'reopened');
  reopened.close();

  // The analysis reads pages its own way (analysis-page-query.ts): the same messages, in a
  // file with Kafka records and in one that names no Kafka at all.
  const noKafka = SessionStore.create(fresh('no-kafka.flowscope'));
  noKafka.insertBatch(MSGS.filter((m) => m.transport !== 'kafka').map((m) => ({ ...m })));
  for (const s of [SessionStore.open(threaded, { readonly: true }), noKafka]) {
    assert.deepEqual(s.pageForAnalysis(0, 100_000).map(fields), s.page(0, 100_000).map(fields));
    s.close();
  }

  const db = new Database(threaded, { readonly: true });
  const names = (db.prepare('SELECT name FROM names ORDER BY name').pluck().all() as string[]).sort();
  const ids = db.prepare('SELECT destination_id FROM message_rows WHERE seq = 1').pluck().get();
  const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT seq FROM messages WHERE destination_id = (SELECT id FROM names WHERE name = 'orders') ORDER BY seq DESC LIMIT 10`).all() as { detail: string }[])
    .map((r) => r.detail)
    .join('; ');
  db.close();
  // Each name once, whichever column and however many messages name it.
  const expected = new Set<string>();
  for (const m of MSGS) for (const v of [m.eventTimeSource ?? 'capture', m.transport, m.endpoint, m.event, m.destKind, m.destination]) expected.add(v);
  assert.deepEqual(names, [...expected].sort());
  assert.equal(typeof ids, 'number');
  assert.match(plan, /message_rows_destination \(destination_id=\?\)/, `a destination is found through its index: ${plan}`);
  assert.doesNotMatch(plan, /TEMP B-TREE/, 'in seq order, with no sort after');
});

test('a file of schema 5 is recorded into as schema 5: its names stay in its messages table, and it reads as a schema-6 file of the same messages', async () => {
  const file = fresh('stays5.flowscope');
  makeSchema5(file);
  const store = SessionStore.open(file);
  const recorder = new Recorder(store, { writerThread: true, maxPending: 500 });
  const sink = recorder.sink('x');
  for (const m of MSGS.slice(0, 2000)) sink.message({ ...m });
  await recorder.stop();
  store.insertBatch(MSGS.slice(2000).map((m) => ({ ...m })));
  assert.equal(store.getMeta().schema_version, '5');
  const got = reads(store);
  store.close();
  const v6 = SessionStore.create(fresh('same6.flowscope'));
  v6.insertBatch(MSGS.map((m) => ({ ...m })));
  assert.deepEqual(got, reads(v6));
  v6.close();
  const db = new Database(file, { readonly: true });
  const kind = db.prepare("SELECT type FROM sqlite_master WHERE name = 'messages'").pluck().get();
  const destinations = db.prepare('SELECT DISTINCT destination FROM messages ORDER BY destination').pluck().all();
  db.close();
  assert.equal(kind, 'table');
  assert.deepEqual(destinations, [...new Set(MSGS.map((m) => m.destination))].sort());
});

test('a name first seen in a batch the file refused is stored with its message when the batch is written again, not as an id the rollback took back', async () => {
  const file = fresh('refused-names.flowscope');
  const store = SessionStore.create(file);
  // Another connection makes the file refuse rows past seq 1500 until the trigger goes.
  const other = new Database(file);
  other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON message_rows WHEN NEW.seq > 1500 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
  const statuses: string[] = [];
  const recorder = new Recorder(store, { writerThread: true, maxPending: 1000, onStorage: (s) => statuses.push(s.state) });
  const sink = recorder.sink('x');
  // Batches of 1000: the second (seqs 1001-2000) brings destination 'late-1' first, and is refused.
  const late = (i: number, name: string): CapturedMessage => ({ ...msg(0), time: T0 + i, destination: name });
  for (let i = 0; i < 1000; i++) sink.message(late(i, 'early'));
  for (let i = 1000; i < 2000; i++) sink.message(late(i, 'late-1'));
  await recorder.settle();
  assert.ok(statuses.includes('paused'), 'the second batch was refused');
  assert.equal(store.lastSeq, 1000);
  other.exec('DROP TRIGGER refuse');
  other.close();
  // The guard writes the held batch again by itself.
  await waitFor('the refused batch to be stored', async () => {
    await recorder.settle();
    return store.lastSeq === 2000 && recorder.storage().state === 'ok';
  });
  // Past the refusal, another new name: it must not take the id 'late-1' had in the rolled-back batch.
  for (let i = 2000; i < 2100; i++) sink.message(late(i, 'late-2'));
  await recorder.stop();
  const counts = store.destinations().map((d) => [d.destination, d.count]);
  store.close();
  assert.deepEqual(counts.sort(), [
    ['early', 1000],
    ['late-1', 1000],
    ['late-2', 100],
  ]);
});

test('a row inserted into the messages view with sqlite3 gets ids for its names, new ones added, and reads back as written', () => {
  const file = fresh('by-hand.flowscope');
  const store = SessionStore.create(file);
  store.insertBatch(MSGS.slice(0, 10).map((m) => ({ ...m })));
  store.close();
  const db = new Database(file);
  db.prepare(
    `INSERT INTO messages (seq, time, event_time, event_time_source, transport, endpoint, event, dest_kind, destination, payload, size)
     VALUES (11, ?, ?, 'capture', 'kafka', 'k1', 'publish', 'topic', 'written-by-hand', x'7b7d', 2)`,
  ).run(T0 + 11, T0 + 11);
  // A name it cannot be stored without is refused, as the table refused it before schema 6.
  assert.throws(
    () => db.prepare(`INSERT INTO messages (seq, time, event_time, event_time_source, transport, endpoint, event, dest_kind, payload, size) VALUES (12, 1, 1, 'capture', 'kafka', 'k1', 'publish', 'topic', x'00', 1)`).run(),
    /NOT NULL constraint failed: message_rows\.destination_id/,
  );
  const named = db.prepare("SELECT COUNT(*) FROM names WHERE name = 'written-by-hand'").pluck().get();
  db.close();
  assert.equal(named, 1);
  const reopened = SessionStore.open(file, { readonly: true });
  const m = reopened.get(11)!;
  assert.deepEqual([m.transport, m.endpoint, m.event, m.destKind, m.destination, m.eventTimeSource], ['kafka', 'k1', 'publish', 'topic', 'written-by-hand', 'capture']);
  assert.deepEqual(reopened.rows({ destinations: ['written-by-hand'] }, { limit: 5 }).map((r) => r.seq), [11]);
  assert.equal(reopened.lastSeq, 11);
  reopened.close();
});
