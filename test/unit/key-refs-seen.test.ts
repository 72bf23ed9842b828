import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { KEY_REFS_EVERY, KeyRefs } from '../../src/core/store/key-refs.ts';
import { INSERT_SQL_HASHED } from '../../src/core/store/rows.ts';
import { refHash } from '../../src/core/store/ref-hash.ts';
import { tmpDir } from '../helpers/tmp.ts';

// The writer thread adds key refs from the (hash, seq) pairs of the rows it wrote, sorted in
// memory, instead of reading them back out of the messages (issue 12). Whatever happens to
// the transactions (rolled back, retried, rows written by another connection in between),
// the refs must be exactly the keyed messages in the file: one per message, none for a
// message that is not there.

const dir = tmpDir();
let n = 0;

/** Message seq's key: keys repeat, some messages have none, hashes of both signs occur. */
function keyOf(seq: number): Buffer | null {
  return seq % 7 === 0 ? null : Buffer.from(`k-${(seq * 7919) % 5003}`);
}

function setup(): { db: Database.Database; write: (from: number, to: number) => void; truth: () => string[]; refs: () => string[] } {
  const file = path.join(dir, `${++n}.flowscope`);
  SessionStore.create(file).close();
  const db = new Database(file);
  const insert = db.prepare(INSERT_SQL_HASHED);
  const write = (from: number, to: number): void => {
    for (let seq = from; seq <= to; seq++) {
      const key = keyOf(seq);
      insert.run(seq, seq, null, seq, 'capture', 'kafka', 'k1', 'publish', 'topic', 't', 0, BigInt(seq), null, null, key, null, null, Buffer.from('{}'), 2, null, null, null, null, key ? refHash(key) : null, null);
    }
  };
  const list = (sql: string) => (): string[] => (db.prepare(sql).all() as { h: number; s: number }[]).map((r) => `${r.h}:${r.s}`);
  return {
    db,
    write,
    truth: list('SELECT key_hash AS h, seq AS s FROM messages WHERE key_hash IS NOT NULL ORDER BY h, s'),
    refs: list('SELECT key_hash AS h, seq AS s FROM key_refs ORDER BY h, s'),
  };
}

/** What the writer thread does for a batch: write its rows and show each to the refs. */
function seeRows(refs: KeyRefs, write: (from: number, to: number) => void, from: number, to: number): void {
  write(from, to);
  for (let seq = from; seq <= to; seq++) {
    const key = keyOf(seq);
    refs.see(seq, key ? refHash(key) : null);
  }
}

test('refs added from the rows seen are exactly the keyed messages, over several additions', () => {
  const { db, write, truth, refs } = setup();
  const keyRefs = new KeyRefs(db);
  const total = 2 * KEY_REFS_EVERY + 12_345;
  for (let from = 1; from <= total; from += 20_000) {
    const to = Math.min(total, from + 19_999);
    db.transaction(() => {
      seeRows(keyRefs, write, from, to);
      keyRefs.add(to);
    })();
  }
  db.transaction(() => keyRefs.add(total, true))();
  assert.equal((db.prepare("SELECT value FROM meta WHERE key = 'key_refs_seq'").pluck().get() as string), String(total));
  assert.deepEqual(refs(), truth());
});

test('after a rolled-back transaction and its retry, and rows another connection wrote, the refs are still exact', () => {
  const { db, write, truth, refs } = setup();
  const keyRefs = new KeyRefs(db);
  const batch = (from: number, to: number, fail = false): void => {
    try {
      db.transaction(() => {
        seeRows(keyRefs, write, from, to);
        if (fail) throw new Error('disk full');
        keyRefs.add(to);
      })();
    } catch {
      keyRefs.forget();
    }
  };
  batch(1, 60_000);
  // Rolled back: these rows were seen but are not in the file; then the same seqs again.
  batch(60_001, 90_000, true);
  batch(60_001, 90_000);
  batch(90_001, 130_000);
  // Rows written without the refs seeing them (the engine's own connection, an import).
  db.transaction(() => write(130_001, 140_000))();
  batch(140_001, 250_000);
  db.transaction(() => keyRefs.add(250_000, true))();
  assert.deepEqual(refs(), truth());
});

test('a rolled-back transaction that is not retried leaves no ref to a message that is not there', () => {
  const { db, write, truth, refs } = setup();
  const keyRefs = new KeyRefs(db);
  db.transaction(() => seeRows(keyRefs, write, 1, 50_000))();
  // Seen and rolled back, and the writer is not told (a failure inside the savepoint of one
  // batch, the batches before it kept): the add of the kept rows must not take the others.
  db.transaction(() => {
    seeRows(keyRefs, write, 50_001, 60_000);
    const sp = db.prepare('SAVEPOINT b');
    sp.run();
    seeRows(keyRefs, write, 60_001, 70_000);
    db.prepare('ROLLBACK TO b').run();
    keyRefs.add(60_000, true);
  })();
  assert.deepEqual(refs(), truth());
  assert.equal(truth().length, refs().length);
});
