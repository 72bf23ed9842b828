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

/** One block's row: the seqs it covers and the ranges of their times. */
interface Block {
  first: number;
  last: number;
  minTime: number;
  maxTime: number;
  minEvent: number;
  maxEvent: number;
}

/**
 * Adds the blocks of messages written to a file of schema 5; call inside the write transaction.
 *
 * A writer that shows it every row it inserts (`see`, in seq order, after `begin` for each
 * batch) gets blocks from those figures: reading the rows back for their times cost about
 * 7% of the writer thread in a catch-up (issue 12). Anything else (no rows shown, a gap in
 * the seqs, a failed batch or commit, a mark another connection moved) makes `add` read
 * them back from the file as before, and the next batch starts again from what the file
 * holds, so the blocks are always the file's truth.
 */
export class TimeBlocks {
  private readonly markStmt: Statement;
  private readonly fill: Statement;
  private readonly insert: Statement;
  private readonly tail: Statement;
  /** Whether the figures below match the file (false until `begin` reads it). */
  private valid = false;
  /** The last seq the file's blocks cover, as this connection wrote them. */
  private mark = 0;
  /** The last seq shown (blocks done and the run). */
  private last = 0;
  /** Whole blocks shown and not yet in the file. */
  private done: Block[] = [];
  /** The messages shown past the last whole block. */
  private run: Block | null = null;

  constructor(db: Db) {
    this.markStmt = db.prepare(`SELECT ${MARK}`).pluck();
    this.fill = db.prepare(
      `INSERT INTO time_blocks (first_seq, last_seq, min_time, max_time, min_event, max_event)
       SELECT MIN(seq), MAX(seq), MIN(time), MAX(time), MIN(event_time), MAX(event_time) FROM messages
       WHERE seq > @from AND seq <= @to GROUP BY (seq - CAST(@from AS INTEGER) - 1) / ${TIME_BLOCK}`,
    );
    this.insert = db.prepare('INSERT INTO time_blocks (first_seq, last_seq, min_time, max_time, min_event, max_event) VALUES (?, ?, ?, ?, ?, ?)');
    this.tail = db.prepare(
      `SELECT MIN(seq) AS first, MAX(seq) AS last, MIN(time) AS minTime, MAX(time) AS maxTime,
       MIN(event_time) AS minEvent, MAX(event_time) AS maxEvent FROM messages WHERE seq > ?`,
    );
  }

  /** A batch is about to be written: after anything unusual, the figures are read from the file again (its tail only). */
  begin(): void {
    if (this.valid) return;
    this.mark = Number(this.markStmt.get() ?? 0);
    const t = this.tail.get(this.mark) as Block | { first: null };
    this.run = t.first === null ? null : (t as Block);
    this.last = this.run ? this.run.last : this.mark;
    this.done = [];
    // A tail of a whole block or more (a file whose blocks were never added) is left to `add`.
    this.valid = this.run === null || (this.run.first === this.mark + 1 && this.run.last - this.mark < TIME_BLOCK);
  }

  /** A row written, in seq order, after `begin`. */
  see(seq: number, time: number, event: number): void {
    if (!this.valid) return;
    if (seq !== this.last + 1) {
      this.valid = false;
      return;
    }
    this.last = seq;
    const r = this.run;
    if (r === null) {
      this.run = { first: seq, last: seq, minTime: time, maxTime: time, minEvent: event, maxEvent: event };
    } else {
      r.last = seq;
      if (time < r.minTime) r.minTime = time;
      else if (time > r.maxTime) r.maxTime = time;
      if (event < r.minEvent) r.minEvent = event;
      else if (event > r.maxEvent) r.maxEvent = event;
    }
    if (seq - this.run!.first + 1 === TIME_BLOCK) {
      this.done.push(this.run!);
      this.run = null;
    }
  }

  /** The rows shown since the last `begin` may not be in the file (a failed batch or commit). */
  invalidate(): void {
    this.valid = false;
  }

  /**
   * Adds a block for every whole TIME_BLOCK messages up to `lastSeq` past the last block. The
   * mark is read from the file each time: after a rolled-back transaction, the file is what is true.
   */
  add(lastSeq: number): void {
    const from = Number(this.markStmt.get() ?? 0);
    if (this.valid && lastSeq === this.last && from === this.mark) {
      for (const b of this.done) this.insert.run(b.first, b.last, b.minTime, b.maxTime, b.minEvent, b.maxEvent);
      if (this.done.length > 0) this.mark = this.done[this.done.length - 1]!.last;
      this.done = [];
      return;
    }
    this.valid = false;
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
