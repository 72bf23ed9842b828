import type { Database as Db, Statement } from 'better-sqlite3';

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

/** Adds the key refs of messages written to a file of schema 4; call inside a write transaction. */
export class KeyRefs {
  private readonly fill: Statement;
  private readonly mark: Statement;
  private readonly upto: Statement;

  constructor(db: Db) {
    this.fill = db.prepare(
      'INSERT OR IGNORE INTO key_refs (key_hash, seq) SELECT key_hash, seq FROM messages WHERE seq > ? AND seq <= ? AND key_hash IS NOT NULL ORDER BY key_hash, seq',
    );
    this.mark = db.prepare("UPDATE meta SET value = ? WHERE key = 'key_refs_seq'");
    this.upto = db.prepare("SELECT CAST(value AS INTEGER) AS v FROM meta WHERE key = 'key_refs_seq'").pluck();
  }

  /**
   * Adds the refs of messages up to `lastSeq` once KEY_REFS_EVERY are waiting (or always, with
   * `all`). The mark is read from the file each time, not kept: after a rolled-back
   * transaction, or refs added by another connection, the file is what is true.
   */
  add(lastSeq: number, all = false): void {
    const upto = Number(this.upto.get() ?? 0);
    if (lastSeq <= upto || (!all && lastSeq - upto < KEY_REFS_EVERY)) return;
    this.fill.run(upto, lastSeq);
    this.mark.run(String(lastSeq));
  }
}
