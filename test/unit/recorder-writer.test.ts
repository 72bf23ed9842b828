import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder, type RecorderBatch } from '../../src/core/engine/recorder.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import type { StorageStatus } from '../../src/shared/views.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// The Recorder writing through the store's writer thread (issue 12): batches reach the
// listeners once committed, in seq order; a batch the store refuses goes to the write
// guard, which holds it and writes it once when the store takes it again; offset polls
// follow the messages captured before them.

const dir = tmpDir();

function message(i: number): CapturedMessage {
  return {
    time: 1_700_000_000_000 + i,
    transport: 'kafka',
    endpoint: 'k',
    event: 'publish',
    destKind: 'topic',
    destination: 't',
    partition: i % 3,
    offset: String(i),
    key: Buffer.from(`k-${i}`),
    headers: { n: String(i) },
    payload: Buffer.from(`payload ${i} ${'x'.repeat(i % 50)}`),
    meta: {},
  };
}

test('batches written on the writer thread arrive whole, in order, with exact bytes', async () => {
  const file = path.join(dir, 'ok.flowscope');
  const store = SessionStore.create(file);
  const batches: RecorderBatch[] = [];
  const recorder = new Recorder(store, { writerThread: true, maxPending: 1000, onBatch: (b) => batches.push({ ...b, messages: [...b.messages] }) });
  const sink = recorder.sink('k');
  for (let i = 0; i < 25_000; i++) sink.message(message(i));
  await recorder.settle();
  assert.equal(store.lastSeq, 25_000);
  assert.deepEqual(
    batches.map((b) => [b.firstSeq, b.lastSeq]),
    Array.from({ length: 25 }, (_, i) => [i * 1000 + 1, (i + 1) * 1000]),
  );
  const got = store.get(12_345)!;
  assert.equal(got.payload.toString(), message(12_344).payload.toString());
  assert.equal(Buffer.from(got.key!).toString(), 'k-12344');
  assert.deepEqual(got.headers, { n: '12344' });
  assert.equal(got.offset, '12344');
  await recorder.stop();
  store.close();
});

test('a batch the store refuses is held by the write guard and stored once when the store takes it again', async () => {
  const file = path.join(dir, 'refused.flowscope');
  const store = SessionStore.create(file);
  // Another connection makes the store refuse rows past seq 1500 until the trigger goes.
  const other = new Database(file);
  other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON message_rows WHEN NEW.seq > 1500 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
  const statuses: StorageStatus[] = [];
  const stored: number[] = [];
  const offsetsSeen: number[] = [];
  const recorder = new Recorder(store, {
    writerThread: true,
    maxPending: 1000,
    onStorage: (st) => statuses.push(st),
    onBatch: (b) => stored.push(...b.messages.map((m) => m.seq)),
    onOffsets: () => offsetsSeen.push(store.lastSeq),
  });
  const sink = recorder.sink('k');
  for (let i = 0; i < 3000; i++) sink.message(message(i));
  sink.offsets?.([{ time: Date.now(), endpoint: 'k', groupId: 'g', topic: 't', partition: 0, offset: '5' }]);
  await recorder.settle();
  assert.ok(statuses.some((st) => st.state === 'paused' && /refused for the test/.test(st.message ?? '')), 'the pause says why');
  assert.equal(store.lastSeq, 1000, 'only the first batch is in');
  assert.equal(recorder.storage().held, 2000, 'the refused messages are held');
  assert.deepEqual(offsetsSeen, [], 'the poll waits for the messages before it');

  other.exec('DROP TRIGGER refuse');
  other.close();
  // The guard retries by itself.
  await waitFor('the held messages to be stored', async () => {
    await recorder.settle();
    return store.lastSeq === 3000 && recorder.storage().state === 'ok';
  });
  assert.equal(recorder.storage().held, 0);
  assert.deepEqual(offsetsSeen, [3000], 'the poll is stored after the messages captured before it');
  await recorder.stop();
  store.close();

  const db = new Database(file, { readonly: true });
  const facts = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT offset) AS offsets, MIN(seq) AS first, MAX(seq) AS last FROM messages').get();
  const polls = db.prepare('SELECT COUNT(*) AS n FROM group_offsets').get() as { n: number };
  db.close();
  assert.deepEqual(facts, { n: 3000, offsets: 3000, first: 1, last: 3000 }, 'each message once, seqs without a gap');
  assert.equal(polls.n, 1);
  assert.deepEqual(stored, Array.from({ length: 3000 }, (_, i) => i + 1), 'listeners saw each message once, in order');
});
