import type { Database as Db, Statement } from 'better-sqlite3';
import { RowInserter } from './row-inserter.ts';

/**
 * Schema 4's key index (issue 12): `key_refs` pairs each keyed message's key hash with its
 * seq, in a table of its own, filled in bulk: the writer adds the refs of the messages it
 * has written every KEY_REFS_EVERY messages (and when it closes), sorted, in the
 * transaction that writes the last of them. A sorted run touches each index page once; an
 * index on `messages.key_hash` cost a random B-tree insert per record, about a third of the
 * writer thread in a catch-up.
 *
 * `meta.key_refs_seq` says up to which seq the refs are in; a lookup by key reads the refs
 * and the messages after that seq (at most KEY_REFS_EVERY of them, or what a crash left),
 * so it is exact at every moment of a recording.
 */
export const KEY_REFS_SQL = `
CREATE TABLE key_refs (
  key_hash INTEGER NOT NULL,
  seq      INTEGER NOT NULL,
  PRIMARY KEY (key_hash, seq)
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('key_refs_seq', '0');
`;

/**
 * The messages a filter by key reads in a file of schema 4, `@keyHash` bound: one list of
 * seqs (the refs, then the messages past the mark), so SQLite looks each up by rowid; an OR
 * of the two made it scan the whole table.
 */
export const KEY_REFS_CLAUSE = `seq IN (SELECT seq FROM key_refs WHERE key_hash = @keyHash
      UNION ALL SELECT seq FROM messages WHERE seq > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'key_refs_seq') AND key_hash = @keyHash)`;

/** Refs are added once this many messages are past the last ones added. */
export const KEY_REFS_EVERY = 100_000;

/**
 * A pair's place in a run: (unsigned hash) × SPAN + (seq − the run's first seq), exact in a
 * double for runs shorter than SPAN, so a run sorts as one Float64Array.
 */
const SPAN = 2 ** 20;

/**
 * Adds the key refs of messages written to a file of schema 4; call inside a write transaction.
 *
 * The writer thread shows it each row it writes (`see`), and the refs of a run of rows that
 * continues the file's mark are added from those pairs, sorted here: reading them back out
 * of `messages` and sorting them in SQL cost twice as much (600,000 keyed rows: 1.0-1.2 s
 * against 0.5-0.7 s, issue 12). Whenever the pairs seen do not cover exactly the messages
 * past the mark (a new writer on a file a crash left behind, a batch rolled back), the refs
 * come from the messages in the file instead, which is always true.
 */
export class KeyRefs {
  private readonly fill: Statement;
  private readonly mark: Statement;
  private readonly upto: Statement;
  private readonly insert: RowInserter;
  /** Packed pairs of the run of rows seen since `base` (see SPAN); grown as a run needs. */
  private pairs = new Float64Array(1024);
  private count = 0;
  /** The run's first seq and the seq that continues it; 0 before any row (or after `forget`). */
  private base = 0;
  private next = 0;
  /** False once the run is too long to pack: its refs then come from the file. */
  private packable = true;

  constructor(db: Db) {
    this.fill = db.prepare(
      'INSERT OR IGNORE INTO key_refs (key_hash, seq) SELECT key_hash, seq FROM messages WHERE seq > ? AND seq <= ? AND key_hash IS NOT NULL ORDER BY key_hash, seq',
    );
    this.mark = db.prepare("UPDATE meta SET value = ? WHERE key = 'key_refs_seq'");
    this.upto = db.prepare("SELECT CAST(value AS INTEGER) AS v FROM meta WHERE key = 'key_refs_seq'").pluck();
    this.insert = new RowInserter(db, 'INSERT OR IGNORE INTO key_refs (key_hash, seq) VALUES (?, ?)');
  }

  /** A row written in the current transaction: its seq and key hash (null without a key). */
  see(seq: number, keyHash: number | null): void {
    // Seqs start at 1, so a run that was forgotten (next 0) restarts here too.
    if (seq !== this.next) this.restart(seq);
    this.next = seq + 1;
    if (keyHash === null || !this.packable) return;
    const at = seq - this.base;
    if (at >= SPAN) {
      this.packable = false;
      return;
    }
    if (this.count === this.pairs.length) {
      const grown = new Float64Array(this.pairs.length * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    this.pairs[this.count++] = (keyHash >>> 0) * SPAN + at;
  }

  /** Rows seen may not be in the file (a batch or a commit failed): the next refs come from the file. */
  forget(): void {
    this.insert.discard();
    this.base = 0;
    this.next = 0;
    this.count = 0;
  }

  /**
   * Adds the refs of messages up to `lastSeq` once KEY_REFS_EVERY are waiting (or always, with
   * `all`). The mark is read from the file each time, not kept: after a rolled-back
   * transaction, or refs added by another connection, the file is what is true.
   */
  add(lastSeq: number, all = false): void {
    const upto = Number(this.upto.get() ?? 0);
    if (lastSeq <= upto || (!all && lastSeq - upto < KEY_REFS_EVERY)) return;
    if (this.packable && this.base === upto + 1 && this.next === lastSeq + 1) this.addSeen();
    else this.fill.run(upto, lastSeq);
    this.mark.run(String(lastSeq));
    this.restart(lastSeq + 1);
  }

  private addSeen(): void {
    const sorted = this.pairs.subarray(0, this.count).sort();
    const row: [number, number] = [0, 0];
    for (let i = 0; i < sorted.length; i++) {
      const packed = sorted[i]!;
      const hash = Math.floor(packed / SPAN);
      row[0] = hash | 0;
      row[1] = this.base + (packed - hash * SPAN);
      this.insert.add(row, 0);
    }
    this.insert.flush();
  }

  private restart(seq: number): void {
    this.base = seq;
    this.next = seq;
    this.count = 0;
    this.packable = true;
  }
}
