import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionFileError, SessionStore } from '../../src/core/store/session-store.ts';
import type { CapturedMessage, JsonValue } from '../../src/shared/model.ts';
import type { MessageFilter } from '../../src/shared/filter.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeSchema5 } from '../helpers/old-schemas.ts';

const dir = tmpDir();
let counter = 0;
const fresh = (name: string): string => path.join(dir, `${++counter}-${name}`);

/** Everything a user could notice about a file and its directory entry. */
function snapshot(file: string) {
  const st = fs.statSync(file);
  return {
    sha: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
    size: st.size,
    mtimeMs: st.mtimeMs,
    siblings: fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(path.basename(file))).sort(),
  };
}

function assertRefusedUntouched(file: string, code: SessionFileError['code'], message: RegExp): void {
  const before = snapshot(file);
  for (const readonly of [false, true]) {
    assert.throws(
      () => SessionStore.open(file, { readonly }),
      (err: unknown) => {
        assert.ok(err instanceof SessionFileError, `expected a SessionFileError, got ${String(err)}`);
        assert.equal(err.code, code);
        assert.match(err.message, message);
        assert.ok(err.message.includes(file), 'the message names the file');
        return true;
      },
    );
    assert.deepEqual(snapshot(file), before, 'the file is left byte for byte as it was, with no -wal/-shm beside it');
  }
}

function msg(over: Partial<CapturedMessage>): CapturedMessage {
  return {
    time: 1_000,
    transport: 'kafka',
    endpoint: 'k1',
    event: 'publish',
    destKind: 'topic',
    destination: 'orders',
    payload: Buffer.from('{}'),
    ...over,
  };
}

function sessionWith(messages: CapturedMessage[]): SessionStore {
  const store = SessionStore.create(fresh('s.flowscope'));
  store.insertBatch(messages);
  return store;
}

test('random bytes, plain text and an empty file are refused untouched', () => {
  const random = fresh('random.flowscope');
  fs.writeFileSync(random, crypto.randomBytes(8192));
  assertRefusedUntouched(random, 'not-a-session', /not a Flowscope session/);
  const text = fresh('notes.flowscope');
  fs.writeFileSync(text, 'these are my notes\n'.repeat(100));
  assertRefusedUntouched(text, 'not-a-session', /not a Flowscope session/);
  const empty = fresh('empty.flowscope');
  fs.writeFileSync(empty, '');
  assertRefusedUntouched(empty, 'not-a-session', /not a Flowscope session/);
});

test('another application’s SQLite database is refused untouched', () => {
  const file = fresh('other.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE messages (seq INTEGER)');
  db.prepare('INSERT INTO meta VALUES (?, ?)').run('format', 'flowscope-session');
  db.close();
  assertRefusedUntouched(file, 'not-a-session', /SQLite database but not a Flowscope session/);
});

test('a truncated session is refused as corrupt and left as it is', () => {
  const store = sessionWith(Array.from({ length: 2000 }, (_, i) => msg({ payload: crypto.randomBytes(200 + i) })));
  const file = store.path;
  store.close();
  const size = fs.statSync(file).size;
  fs.truncateSync(file, Math.floor(size * 0.6));
  assertRefusedUntouched(file, 'corrupt', /truncated or damaged/);
  fs.truncateSync(file, 60);
  assertRefusedUntouched(file, 'not-a-session', /truncated/);
});

test('a session written by a newer Flowscope is refused with newer-schema and left as it is', () => {
  const store = sessionWith([msg({})]);
  store.setMeta('schema_version', '99');
  const file = store.path;
  store.close();
  assertRefusedUntouched(file, 'newer-schema', /newer Flowscope.*Update Flowscope/);
});

test('a missing file and an existing file are reported clearly', () => {
  const missing = fresh('missing.flowscope');
  assert.throws(() => SessionStore.open(missing), (e: unknown) => e instanceof SessionFileError && e.code === 'not-found');
  const store = sessionWith([]);
  store.close();
  assert.throws(() => SessionStore.create(store.path), (e: unknown) => e instanceof SessionFileError && e.code === 'exists');
  assert.throws(() => SessionStore.open(dir), (e: unknown) => e instanceof SessionFileError && e.code === 'not-a-session');
});

const corpus: CapturedMessage[] = [
  msg({ time: 1000, payload: Buffer.from('{"order":1,"state":"NEW"}'), key: Buffer.from('cust-1'), headers: { traceId: 'abc', retries: 3, sampled: true } }),
  msg({ time: 2000, payload: Buffer.from('Hello World 100%'), key: Buffer.from('cust-2'), correlationId: 'req-9' }),
  msg({ time: 3000, transport: 'amqp', endpoint: 'r1', event: 'deliver', destKind: 'queue', destination: 'billing', payload: Buffer.from('under_score'), properties: { contentType: 'text/plain' }, correlationId: 'req-9' }),
  msg({ time: 4000, transport: 'ws', endpoint: 'w1', event: 'frame-in', destKind: 'socket', destination: '/rpc', connection: 'c1', payload: Buffer.from([0, 1, 2, 0x68, 0x65, 0x6c, 0x6c, 0x6f]) }),
  msg({ time: 5000, transport: 'ws', endpoint: 'w1', event: 'frame-out', destKind: 'socket', destination: '/rpc', connection: 'c2', payload: Buffer.from('plain hello') }),
];

test('headers named __proto__ and toString are stored, read back and filtered on like any other name', () => {
  // JSON text: an object literal's `__proto__:` would set the prototype instead of a key.
  const headers = JSON.parse('{"__proto__":"p","toString":"t","plain":"n"}') as Record<string, JsonValue>;
  const store = sessionWith([msg({ headers }), msg({ headers: { plain: 'n' } })]);
  const seqs = (f: MessageFilter): number[] => store.rows(f, { limit: 100 }).map((r) => r.seq);
  try {
    assert.deepEqual(store.get(1)!.headers, headers);
    assert.deepEqual(Object.keys(store.get(1)!.headers!), ['__proto__', 'toString', 'plain']);
    assert.deepEqual(seqs({ header: { name: '__proto__', value: 'p' } }), [1]);
    assert.deepEqual(seqs({ header: { name: 'toString' } }), [1]);
    assert.deepEqual(seqs({ header: { name: 'constructor' } }), []);
  } finally {
    store.close();
  }
});

test('filters return exactly the matching rows', () => {
  const store = sessionWith(corpus);
  const seqs = (f: MessageFilter): number[] => store.rows(f, { limit: 100 }).map((r) => r.seq);
  try {
    assert.equal(store.count(), 5);
    assert.deepEqual(seqs({}), [1, 2, 3, 4, 5]);
    assert.deepEqual(seqs({ text: 'HELLO' }), [2, 4, 5], 'case-insensitive, and found after NUL bytes of a binary payload');
    assert.deepEqual(seqs({ text: '%' }), [2], 'LIKE wildcards match literally');
    assert.deepEqual(seqs({ text: '_' }), [3]);
    assert.deepEqual(seqs({ header: { name: 'traceId' } }), [1]);
    assert.deepEqual(seqs({ header: { name: 'traceId', value: 'abc' } }), [1]);
    assert.deepEqual(seqs({ header: { name: 'traceId', value: 'abd' } }), []);
    assert.deepEqual(seqs({ header: { name: 'retries', value: '3' } }), [1]);
    assert.deepEqual(seqs({ header: { name: 'sampled', value: 'true' } }), [1], 'a boolean header matches "true"');
    assert.deepEqual(seqs({ header: { name: 'contentType', value: 'text/plain' } }), [3], 'AMQP properties count as headers');
    assert.deepEqual(seqs({ correlationId: 'req-9' }), [2, 3]);
    assert.deepEqual(seqs({ destinations: ['billing', '/rpc'] }), [3, 4, 5]);
    assert.deepEqual(seqs({ destinations: [] }), []);
    assert.deepEqual(seqs({ fromTime: 2000, toTime: 4000 }), [2, 3, 4], 'time bounds are inclusive');
    assert.deepEqual(seqs({ key: 'cust-2' }), [2]);
    assert.deepEqual(seqs({ transports: ['ws'], events: ['frame-in'] }), [4]);
    assert.deepEqual(seqs({ endpoint: 'w1', connection: 'c2' }), [5]);
    assert.deepEqual(seqs({ seqs: [5, 1] }), [1, 5]);
    assert.equal(store.count({ correlationId: 'req-9', transports: ['amqp'] }), 1);

    assert.deepEqual(store.rows({}, { limit: 2, offset: 1 }).map((r) => r.seq), [2, 3]);
    assert.deepEqual(store.rows({}, { limit: 2, order: 'desc' }).map((r) => r.seq), [5, 4]);
    assert.deepEqual(store.rows({}, { limit: 10, afterSeq: 3 }).map((r) => r.seq), [4, 5]);
    const [first] = store.rows({ seqs: [1] }, { limit: 1 });
    assert.equal(first?.key, 'cust-1');
    assert.equal(first?.preview, '{"order":1,"state":"NEW"}');
    assert.match(store.rows({ seqs: [4] }, { limit: 1 })[0]!.preview, /^0x0001026865/);
    assert.deepEqual(store.related('req-9').map((r) => r.seq), [2, 3]);
    assert.deepEqual(store.timeRange({ transports: ['ws'] }), { first: 4000, last: 5000, count: 2 });
  } finally {
    store.close();
  }
});

test('iterate streams messages in seq order, filtered, after a given seq', () => {
  const many = Array.from({ length: 3000 }, (_, i) =>
    msg({ time: i, destination: i % 3 === 0 ? 'a' : 'b', payload: Buffer.from(`m${i}:${'z'.repeat(5000)}`) }),
  );
  const store = sessionWith(many);
  try {
    let prev = 0;
    let n = 0;
    for (const m of store.iterate({ destinations: ['a'] }, { afterSeq: 300 })) {
      assert.ok(m.seq > prev && m.seq > 300 && m.destination === 'a');
      assert.equal(Buffer.from(m.payload).toString().split(':')[0], `m${m.seq - 1}`);
      prev = m.seq;
      n += 1;
    }
    assert.equal(n, store.count({ destinations: ['a'] }) - 100);
    const heads = [...store.iterate({ seqs: [1] }, { withPayload: false })];
    assert.equal(heads[0]?.payload.byteLength, 4096, 'withPayload: false bounds the bytes read');
    assert.equal(heads[0]?.size, 5003);
  } finally {
    store.close();
  }
});

test('a 10 MB payload, keys and metadata round-trip exactly, also after reopening', () => {
  const big = crypto.randomBytes(10 * 1024 * 1024);
  const key = Buffer.from([0xff, 0x00, 0x10]);
  const store = sessionWith([
    msg({ payload: big, key, partition: 2, offset: '9007199254740993', headers: { bin: { $base64: 'AAE=' } }, meta: { opcode: 'binary' } }),
  ]);
  const file = store.path;
  store.close();
  const again = SessionStore.open(file, { readonly: true });
  try {
    const m = again.get(1)!;
    assert.ok(big.equals(Buffer.from(m.payload)));
    assert.equal(m.size, big.length);
    assert.ok(key.equals(Buffer.from(m.key!)));
    assert.equal(m.partition, 2);
    assert.equal(m.offset, '9007199254740993', 'an int64 offset keeps every digit');
    assert.deepEqual(m.headers, { bin: { $base64: 'AAE=' } });
    assert.deepEqual(m.meta, { opcode: 'binary' });
    const row = again.rows({}, { limit: 1 })[0]!;
    assert.equal(row.size, big.length);
    assert.ok(row.preview.length < 100, 'a list row never carries the payload');
    assert.throws(() => again.insertBatch([msg({})]), /read-only/);
  } finally {
    again.close();
  }
});

test('event time: stamped from the Kafka record timestamp and its type, filtered and counted on the timeline by it', () => {
  const store = sessionWith([
    msg({ time: 90_000, brokerTime: 1_000, meta: { timestampType: 'CreateTime' } }),
    msg({ time: 90_001, brokerTime: 2_000, meta: { timestampType: 'LogAppendTime' } }),
    msg({ time: 90_002, brokerTime: 3_000 }),
    msg({ time: 90_003, transport: 'ws', destKind: 'socket', destination: '/s', event: 'frame-in' }),
  ]);
  try {
    const rows = store.rows({}, { limit: 10 });
    assert.deepEqual(rows.map((r) => [r.eventTime, r.eventTimeSource]), [
      [1_000, 'kafka-create'],
      [2_000, 'kafka-log-append'],
      [3_000, 'kafka-unknown'],
      [90_003, 'capture'],
    ]);
    assert.equal(store.get(2)!.eventTimeSource, 'kafka-log-append');
    assert.deepEqual(store.rows({ fromTime: 1_500, toTime: 3_000 }, { limit: 10 }).map((r) => r.seq), [2, 3], 'the time range is on event time');
    assert.deepEqual(store.eventTimeRange(), { first: 1_000, last: 90_003 });
    assert.deepEqual(store.timeRange(), { first: 90_000, last: 90_003, count: 4 }, 'the capture range is what the recording spans');
    assert.deepEqual(store.timeline({ transports: ['kafka'] }, 10_000), [{ bucket: 0, destination: 'orders', count: 3 }]);
  } finally {
    store.close();
  }
});

test('a schema-1 session opens with event time = capture time, untouched; recording into it adds the columns', () => {
  const file = fresh('v1.flowscope');
  makeSchema5(file);
  // Turn it into what Flowscope wrote before schema 2.
  const db = new Database(file);
  db.exec(`DROP TABLE time_blocks; CREATE INDEX messages_time ON messages (time);
    ALTER TABLE messages DROP COLUMN event_time; ALTER TABLE messages DROP COLUMN event_time_source;
    UPDATE meta SET value = '1' WHERE key = 'schema_version';
    INSERT INTO messages (seq, time, broker_time, transport, endpoint, event, dest_kind, destination, payload, size)
    VALUES (1, 5000, 1000, 'kafka', 'k1', 'publish', 'topic', 'orders', x'7b7d', 2)`);
  db.pragma('journal_mode = DELETE');
  db.close();
  const before = snapshot(file);

  const old = SessionStore.open(file, { readonly: true });
  assert.deepEqual(old.rows({}, { limit: 5 }).map((r) => [r.time, r.eventTime, r.eventTimeSource]), [[5000, 5000, 'capture']]);
  assert.equal(old.count({ fromTime: 4000 }), 1);
  assert.deepEqual(old.eventTimeRange(), { first: 5000, last: 5000 });
  old.close();
  assert.deepEqual(snapshot(file), before, 'reading it changes nothing');

  const rec = SessionStore.open(file);
  assert.equal(rec.get(1)!.eventTime, 5000, 'open read-write, still readable before any write');
  rec.insertBatch([msg({ time: 9000, brokerTime: 8000, meta: { timestampType: 'CreateTime' } })]);
  assert.deepEqual(rec.rows({}, { limit: 5 }).map((r) => [r.eventTime, r.eventTimeSource]), [[5000, 'capture'], [8000, 'kafka-create']]);
  assert.equal(rec.getMeta().schema_version, '2');
  rec.close();
});
