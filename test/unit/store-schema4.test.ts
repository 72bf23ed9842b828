import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { filterToSql } from '../../src/core/store/filter-sql.ts';
import { KEY_REFS_COLUMNS } from '../../src/core/store/rows.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeSchema3 } from '../helpers/old-schemas.ts';

// Schema 4 finds keys through the key_refs side table, filled in bulk by the writer, and
// the messages past its mark (issue 12): a lookup by key is exact at every moment of a
// recording, after a crash, and in files of schema 3, which keep their own index.

const dir = tmpDir();
let n = 0;
const fresh = (name: string): string => path.join(dir, `${++n}-${name}`);

function msg(key: string | null, i = 0): CapturedMessage {
  return { time: 1000 + i, transport: 'kafka', endpoint: 'k1', event: 'publish', destKind: 'topic', destination: 'orders', key: key === null ? null : Buffer.from(key), payload: Buffer.from(`{"i":${i}}`) };
}

const keyed = (store: SessionStore, key: string): number[] => store.rows({ key }, { limit: 100 }).map((r) => r.seq);

test('a new file (schema 4 and later) finds keys exactly while recording on the writer thread, before and after the refs are added', async () => {
  const file = fresh('v4.flowscope');
  const store = SessionStore.create(file);
  assert.ok(Number(store.getMeta().schema_version) >= 4);
  store.insertBatch([msg('a', 1), msg('b', 2), msg(null, 3)]);
  const recorder = new Recorder(store, { writerThread: true });
  const sink = recorder.sink('k1');
  for (let i = 4; i <= 10; i++) sink.message(msg(i % 2 ? 'a' : 'b', i));
  await recorder.settle();
  // Written on the writer thread, not in the refs yet: found past the mark.
  const reader = SessionStore.open(file, { readonly: true });
  assert.deepEqual(keyed(reader, 'a'), [1, 5, 7, 9]);
  assert.deepEqual(keyed(reader, 'b'), [2, 4, 6, 8, 10]);
  assert.equal(reader.count({ key: 'c' }), 0);
  reader.close();
  await recorder.stop();
  store.close();

  const db = new Database(file, { readonly: true });
  const refs = db.prepare('SELECT COUNT(*) AS n FROM key_refs').get() as { n: number };
  const mark = db.prepare("SELECT value FROM meta WHERE key = 'key_refs_seq'").get() as { value: string };
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all() as { name: string }[]).map((r) => r.name);
  const { where, params } = filterToSql({ key: 'a' }, {}, KEY_REFS_COLUMNS);
  const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT seq FROM messages ${where}`).all(params) as { detail: string }[]).map((r) => r.detail).join('; ');
  db.close();
  assert.equal(refs.n, 9, 'a closed recording has the refs of every keyed message');
  assert.equal(mark.value, '10');
  assert.ok(!indexes.includes('messages_key_hash'), 'no per-record key index');
  assert.match(plan, /key_refs/, 'a lookup reads the refs, not every message');
  const again = SessionStore.open(file, { readonly: true });
  assert.deepEqual(keyed(again, 'a'), [1, 5, 7, 9]);
  again.close();
});

test('messages a crash left past the mark are found, and the next recording adds their refs', async () => {
  const file = fresh('crashed.flowscope');
  const store = SessionStore.create(file);
  store.insertBatch([msg('a', 1), msg('b', 2), msg('a', 3)]);
  store.close();
  // What a recording killed before its refs were added leaves: messages past the mark.
  const db = new Database(file);
  db.exec("DELETE FROM key_refs WHERE seq > 1; UPDATE meta SET value = '1' WHERE key = 'key_refs_seq'");
  db.close();
  const reader = SessionStore.open(file, { readonly: true });
  assert.deepEqual(keyed(reader, 'a'), [1, 3]);
  reader.close();

  const rec = SessionStore.open(file);
  const recorder = new Recorder(rec, { writerThread: true });
  recorder.sink('k1').message(msg('a', 4));
  await recorder.stop();
  assert.deepEqual(keyed(rec, 'a'), [1, 3, 4]);
  rec.close();
  const check = new Database(file, { readonly: true });
  const refs = (check.prepare('SELECT seq FROM key_refs ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
  check.close();
  assert.deepEqual(refs, [1, 2, 3, 4]);
});

test('a schema-3 file opens, is recorded into inline and on the writer thread, and stays schema 3 with its key index', async () => {
  const file = fresh('v3.flowscope');
  makeSchema3(file);
  const rec = SessionStore.open(file);
  rec.insertBatch([msg('a', 1), msg('b', 2)]);
  const recorder = new Recorder(rec, { writerThread: true });
  const sink = recorder.sink('k1');
  sink.message(msg('a', 3));
  sink.message(msg(null, 4));
  await recorder.stop();
  assert.equal(rec.getMeta().schema_version, '3');
  assert.deepEqual(keyed(rec, 'a'), [1, 3]);
  assert.deepEqual(keyed(rec, 'b'), [2]);
  assert.equal(rec.lastSeq, 4);
  rec.close();
  const db = new Database(file, { readonly: true });
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE name IN ('key_refs', 'messages_key_hash')").all() as { name: string }[]).map((r) => r.name);
  db.close();
  assert.deepEqual(tables, ['messages_key_hash'], 'the file keeps its schema-3 layout');
  const reopened = SessionStore.open(file, { readonly: true });
  assert.deepEqual(keyed(reopened, 'a'), [1, 3]);
  reopened.close();
});
