import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { filterToSql } from '../../src/core/store/filter-sql.ts';
import { HASHED_COLUMNS } from '../../src/core/store/rows.ts';
import { refHash, textHash } from '../../src/core/store/ref-hash.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeSchema3 } from '../helpers/old-schemas.ts';

// Schema 3 indexes keys and correlation ids by hash (issue 12): lookups stay indexed and
// exact even when two values share a hash, and files of schema 2 are read and recorded
// into as before.

const dir = tmpDir();
let n = 0;
const fresh = (name: string): string => path.join(dir, `${++n}-${name}`);

function msg(over: Partial<CapturedMessage>): CapturedMessage {
  return { time: 1000, transport: 'kafka', endpoint: 'k1', event: 'publish', destKind: 'topic', destination: 'orders', payload: Buffer.from('{}'), ...over };
}

/** Two different texts with the same hash (a birthday search over 32 bits: about 80k tries). */
function collision(hash: (s: string) => number): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const s = `id-${i}`;
    const h = hash(s);
    const other = seen.get(h);
    if (other !== undefined) return [other, s];
    seen.set(h, s);
  }
}

test('keys and correlation ids sharing a hash are told apart, through the hash indexes', () => {
  const [k1, k2] = collision((s) => refHash(Buffer.from(s)));
  const [c1, c2] = collision(textHash);
  assert.notEqual(k1, k2);
  const file = fresh('v3.flowscope');
  makeSchema3(file);
  const store = SessionStore.open(file);
  store.insertBatch([
    msg({ key: Buffer.from(k1), correlationId: c1 }),
    msg({ key: Buffer.from(k2), correlationId: c2 }),
    msg({ key: Buffer.from(k1) }),
    msg({ key: null, correlationId: c1 }),
  ]);
  assert.equal(store.getMeta().schema_version, '3');
  assert.deepEqual(store.rows({ key: k1 }, { limit: 10 }).map((r) => r.seq), [1, 3]);
  assert.deepEqual(store.rows({ key: k2 }, { limit: 10 }).map((r) => r.seq), [2]);
  assert.deepEqual(store.rows({ correlationId: c1 }, { limit: 10 }).map((r) => r.seq), [1, 4]);
  assert.equal(store.count({ correlationId: c2 }), 1);
  assert.deepEqual(store.related(c1).map((r) => r.seq), [1, 4]);
  store.close();

  // What the Messages view's filters ask is answered through the hash indexes, not a scan.
  const db = new Database(file, { readonly: true });
  const plan = (f: Parameters<typeof filterToSql>[0]): string => {
    const { where, params } = filterToSql(f, {}, HASHED_COLUMNS);
    return (db.prepare(`EXPLAIN QUERY PLAN SELECT seq FROM messages ${where}`).all(params) as { detail: string }[]).map((r) => r.detail).join('; ');
  };
  assert.match(plan({ key: k1 }), /USING INDEX messages_key_hash/);
  assert.match(plan({ correlationId: c1 }), /USING INDEX messages_correlation_hash/);
  db.close();
});

/** Turns a fresh file into what Flowscope wrote at schema 2: value indexes, no hash columns. */
function makeSchema2(file: string, rows: CapturedMessage[]): void {
  makeSchema3(file);
  const db = new Database(file);
  db.exec(`DROP INDEX messages_key_hash; DROP INDEX messages_correlation_hash;
    ALTER TABLE messages DROP COLUMN key_hash; ALTER TABLE messages DROP COLUMN correlation_hash;
    CREATE INDEX messages_correlation ON messages (correlation_id) WHERE correlation_id IS NOT NULL;
    CREATE INDEX messages_key ON messages (key) WHERE key IS NOT NULL;
    UPDATE meta SET value = '2' WHERE key = 'schema_version';`);
  const insert = db.prepare(`INSERT INTO messages (seq, time, event_time, event_time_source, transport, endpoint, event, dest_kind, destination, key, payload, size, correlation_id)
    VALUES (?, 1000, 1000, 'capture', 'kafka', 'k1', 'publish', 'topic', 'orders', ?, x'7b7d', 2, ?)`);
  rows.forEach((r, i) => insert.run(i + 1, r.key ?? null, r.correlationId ?? null));
  db.pragma('journal_mode = DELETE');
  db.close();
}

test('a schema-2 file is read as before, and recording into it (inline and on the writer thread) keeps it schema 2', async () => {
  const file = fresh('v2.flowscope');
  makeSchema2(file, [msg({ key: Buffer.from('a'), correlationId: 'c-1' }), msg({ key: Buffer.from('b') })]);

  const old = SessionStore.open(file, { readonly: true });
  assert.deepEqual(old.rows({ key: 'a' }, { limit: 5 }).map((r) => r.seq), [1]);
  assert.deepEqual(old.related('c-1').map((r) => r.seq), [1]);
  old.close();

  const rec = SessionStore.open(file);
  rec.insertBatch([msg({ key: Buffer.from('a'), correlationId: 'c-1' })]);
  const recorder = new Recorder(rec, { writerThread: true });
  const sink = recorder.sink('k1');
  sink.message(msg({ key: Buffer.from('a') }));
  sink.message(msg({ key: Buffer.from('b'), correlationId: 'c-1' }));
  await recorder.stop();
  assert.equal(rec.getMeta().schema_version, '2');
  assert.deepEqual(rec.rows({ key: 'a' }, { limit: 10 }).map((r) => r.seq), [1, 3, 4]);
  assert.deepEqual(rec.related('c-1').map((r) => r.seq), [1, 3, 5]);
  rec.close();

  const db = new Database(file, { readonly: true });
  const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').all('messages') as { name: string }[]).map((c) => c.name);
  db.close();
  assert.ok(!cols.includes('key_hash'), 'the file keeps its schema-2 layout');
});
