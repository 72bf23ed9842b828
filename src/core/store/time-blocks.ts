import type { Database as Db, Statement } from 'better-sqlite3';

/**
 * Schema 5's time index (issue 12): `time_blocks` holds, for each run of TIME_BLOCK
 * consecutive messages, the lowest and highest seq and the range of their capture time and
 * event time, written in the transaction that writes the run's last message. It takes the
 * place of the indexes on `messages(time)` and `messages(event_time)`: keeping those cost a
 * B-tree insert each per record, 12% of the writer thread in a catch-up (21% with the
 * 8 KiB pages, store floor, same run).
 *
 * A time bound becomes a seq range: the first and last block whose range can hold a match,
 * and the messages past the last block (fewer than TIME_BLOCK: the tail), which are read
 * themselves. Times recorded in capture order rise with seq, so the range is tight; where
 * event times are out of order (partitions produced at different times), it is wider but
 * still exact, since every message in it is compared with the bound itself.
 */
export const TIME_BLOCKS_SQL = `
CREATE TABLE time_blocks (
  first_seq INTEGER PRIMARY KEY,
  last_seq  INTEGER NOT NULL,
  min_time  REAL NOT NULL,
  max_time  REAL NOT NULL,
  min_event REAL NOT NULL,
  max_event REAL NOT NULL
);
`;

/** Messages a block covers: its row costs a thousandth of theirs, and a tail this long reads in well under a millisecond. */
export const TIME_BLOCK = 1024;

/** The last seq the blocks cover (0 for none): one step down the primary key. */
const MARK = '(SELECT COALESCE((SELECT last_seq FROM time_blocks ORDER BY first_seq DESC LIMIT 1), 0))';

/** Adds the blocks of messages written to a file of schema 5; call inside the write transaction. */
export class TimeBlocks {
  private readonly mark: Statement;
  private readonly fill: Statement;

  constructor(db: Db) {
    this.mark = db.prepare(`SELECT ${MARK}`).pluck();
    this.fill = db.prepare(
      `INSERT INTO time_blocks (first_seq, last_seq, min_time, max_time, min_event, max_event)
       SELECT MIN(seq), MAX(seq), MIN(time), MAX(time), MIN(event_time), MAX(event_time) FROM messages
       WHERE seq > @from AND seq <= @to GROUP BY (seq - CAST(@from AS INTEGER) - 1) / ${TIME_BLOCK}`,
    );
  }

  /**
   * Adds a block for every whole TIME_BLOCK messages up to `lastSeq` past the last block. The
   * mark is read from the file each time: after a rolled-back transaction, the file is what is true.
   */
  add(lastSeq: number): void {
    const from = Number(this.mark.get() ?? 0);
    const whole = Math.floor((lastSeq - from) / TIME_BLOCK) * TIME_BLOCK;
    if (whole > 0) this.fill.run({ from, to: from + whole });
  }
}

/** The condition a message's time meets, on the `messages` column and on a block's range. */
export interface TimeBound {
  /** On messages. */
  row: string;
  /** A block that can hold a message meeting `row`. */
  block: string;
}

/**
 * Seq bounds for messages meeting every one of `bounds` (SQL on `messages`, parameters as in
 * the bounds): from the first block that can hold one (or the tail), up to the last match in
 * the tail or else the last block that can hold one. Non-correlated, so SQLite computes each
 * once and reads the messages between by rowid.
 */
export function seqRangeClause(bounds: readonly TimeBound[]): string {
  const rows = bounds.map((b) => b.row).join(' AND ');
  const blocks = bounds.map((b) => b.block).join(' AND ');
  return `seq >= COALESCE((SELECT MIN(first_seq) FROM time_blocks WHERE ${blocks}), ${MARK} + 1)
    AND seq <= COALESCE((SELECT MAX(seq) FROM messages WHERE seq > ${MARK} AND ${rows}),
      (SELECT MAX(last_seq) FROM time_blocks WHERE ${blocks}), 0)`;
}

export const eventFrom = (param: string): TimeBound => ({ row: `event_time >= ${param}`, block: `max_event >= ${param}` });
export const eventTo = (param: string): TimeBound => ({ row: `event_time <= ${param}`, block: `min_event <= ${param}` });
export const captureTo = (param: string): TimeBound => ({ row: `time <= ${param}`, block: `min_time <= ${param}` });

/** SQL for the lowest or highest capture or event time of the whole session: the blocks', then the tail's. */
export function spanSql(column: 'time' | 'event_time', fn: 'MIN' | 'MAX'): string {
  const block = `${fn.toLowerCase()}_${column === 'time' ? 'time' : 'event'}`;
  return `(SELECT ${fn}(t) FROM (SELECT ${fn}(${block}) AS t FROM time_blocks
    UNION ALL SELECT ${fn}(${column}) FROM messages WHERE seq > ${MARK}))`;
}
