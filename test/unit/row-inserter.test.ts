import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ROWS_PER_STATEMENT, RowInserter, STATEMENT_BYTES } from '../../src/core/store/row-inserter.ts';

// The writer thread inserts messages many rows to a statement (issue 12). Every row must
// land once, in order, with its own values, whatever the count (a full statement, a short
// one at a batch's end, both), with payloads large enough to flush early, and a failed
// statement must not leave its rows queued for the next one.

const SQL = 'INSERT INTO t (seq, name, body) VALUES (?, ?, ?)';

function table(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, body BLOB NOT NULL)');
  return db;
}

function rowsOf(db: Database.Database): { seq: number; name: string; body: Buffer }[] {
  return db.prepare('SELECT seq, name, body FROM t ORDER BY seq').all() as { seq: number; name: string; body: Buffer }[];
}

for (const count of [0, 1, ROWS_PER_STATEMENT - 1, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT + 1, 3 * ROWS_PER_STATEMENT + 17]) {
  test(`${count} rows go in once each, in order, with their own values`, () => {
    const db = table();
    const ins = new RowInserter(db, SQL);
    // One array refilled for every row, as the writer thread's is.
    const params: unknown[] = [0, '', Buffer.alloc(0)];
    db.transaction(() => {
      for (let i = 1; i <= count; i++) {
        params[0] = i;
        params[1] = `row ${i}`;
        params[2] = Buffer.from([i & 0xff, (i >> 8) & 0xff]);
        ins.add(params, 2);
      }
      ins.flush();
    })();
    const got = rowsOf(db);
    assert.equal(got.length, count);
    got.forEach((r, k) => {
      const i = k + 1;
      assert.deepEqual([r.seq, r.name, [...r.body]], [i, `row ${i}`, [i & 0xff, (i >> 8) & 0xff]]);
    });
  });
}

test('rows with large payloads all land, flushed before a statement holds more than STATEMENT_BYTES', () => {
  const db = table();
  const ins = new RowInserter(db, SQL);
  const big = Math.ceil(STATEMENT_BYTES / 3);
  db.transaction(() => {
    for (let i = 1; i <= 10; i++) {
      ins.add([i, `big ${i}`, Buffer.alloc(big, i)], big);
    }
    ins.flush();
  })();
  const got = rowsOf(db);
  assert.deepEqual(got.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(got.every((r, k) => r.body.length === big && r.body.every((b) => b === k + 1)));
  // Flushed as soon as the third row crosses STATEMENT_BYTES, not held until fifty.
  const seen: number[] = [];
  const db2 = table();
  const ins2 = new RowInserter(db2, SQL);
  for (let i = 1; i <= 4; i++) {
    ins2.add([i, 'x', Buffer.alloc(big)], big);
    seen.push((db2.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n);
  }
  assert.deepEqual(seen, [0, 0, 3, 3]);
});

test('a failed statement fails with its transaction and leaves nothing queued for the next', () => {
  const db = table();
  const ins = new RowInserter(db, SQL);
  db.prepare(SQL).run(5, 'already there', Buffer.alloc(1));
  const write = db.transaction((from: number, to: number) => {
    for (let i = from; i <= to; i++) ins.add([i, `row ${i}`, Buffer.alloc(1)], 1);
    ins.flush();
  });
  // Row 5 collides: the statement holding rows 1-7 fails, and the transaction with it.
  assert.throws(() => write(1, 7), /UNIQUE constraint failed/);
  ins.discard();
  write(6, 8);
  assert.deepEqual(rowsOf(db).map((r) => [r.seq, r.name]), [[5, 'already there'], [6, 'row 6'], [7, 'row 7'], [8, 'row 8']]);
});

test('rows queued when their transaction aborts are discarded, not written into the next one', () => {
  const db = table();
  const ins = new RowInserter(db, SQL);
  const write = db.transaction((from: number, to: number, failAt: number | null) => {
    for (let i = from; i <= to; i++) {
      if (i === failAt) throw new Error('the batch could not be read');
      ins.add([i, `row ${i}`, Buffer.alloc(1)], 1);
    }
    ins.flush();
  });
  assert.throws(() => write(1, 9, 4), /could not be read/);
  ins.discard();
  write(10, 11, null);
  assert.deepEqual(rowsOf(db).map((r) => r.seq), [10, 11]);
});
