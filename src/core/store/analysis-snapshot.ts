import { toOffsets, type OffsetRow } from './rows.ts';
import type { Database as Db } from 'better-sqlite3';
import type { GroupOffset } from '../../shared/model.ts';

/**
 * The analysis a recording computed, kept in the session file so reopening shows it at
 * once (issue 12). One row: the analysis state as bytes (core/analysis/analysis-snapshot.ts)
 * and what it covers: the messages up to `seq`, the consumer-group polls up to the row
 * `offsets` (rowid order: the order they were stored and fed). A reopen loads it and reads
 * only what came after. Once that state has been decided at the recording's end, its
 * results alone (`results`, what the views read, a fraction of the state's size) are kept
 * beside it, with the end they were decided at: a reopen that records nothing more loads
 * only them. The table is additive: files of any schema version without it are
 * analysed from their first message, and get it the first time a snapshot is written.
 */
export const ANALYSIS_SNAPSHOT_SQL = `
CREATE TABLE IF NOT EXISTS analysis_snapshot (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  format    INTEGER NOT NULL,
  config    TEXT    NOT NULL,
  seq       INTEGER NOT NULL,
  seq_time  REAL,
  offsets   INTEGER NOT NULL,
  saved_at  REAL    NOT NULL,
  version   TEXT    NOT NULL,
  state     BLOB    NOT NULL,
  results   BLOB,
  results_end REAL
);
`;

/** What a kept analysis is about, without its bytes. */
export type KeptAnalysis = Omit<AnalysisSnapshotRow, 'state'> & {
  /** The end the kept results were decided at; null when only the undecided state is kept. */
  resultsEnd: number | null;
};

/** The columns this version reads and writes. */
const SHAPE = ['id', 'format', 'config', 'seq', 'seq_time', 'offsets', 'saved_at', 'version', 'state', 'results', 'results_end'];

export interface AnalysisSnapshotRow {
  /** The analysis format the state was written in (ANALYSIS_FORMAT). */
  format: number;
  /** Digest of the analysis settings it was computed with. */
  config: string;
  /** The last message seq it covers, and that message's capture time (null for none). */
  seq: number;
  seqTime: number | null;
  /** Consumer-group poll rows (by rowid) it covers. */
  offsets: number;
  savedAt: number;
  /** The Flowscope version that wrote it (for people reading the file). */
  version: string;
  state: Buffer;
}

interface Stored {
  format: number;
  config: string;
  seq: number;
  seq_time: number | null;
  offsets: number;
  saved_at: number;
  version: string;
  results_end: number | null;
}

/** The snapshot table and the few reads a resume needs. */
export class AnalysisSnapshots {
  constructor(
    private readonly db: Db,
    private readonly readonly: boolean,
  ) {}

  private exists(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analysis_snapshot'").get() !== undefined;
  }

  /** What the kept analysis is about, or null when the file keeps none. */
  kept(): KeptAnalysis | null {
    if (!this.exists()) return null;
    const r = this.db
      .prepare('SELECT format, config, seq, seq_time, offsets, saved_at, version, results_end FROM analysis_snapshot WHERE id = 1')
      .get() as Stored | undefined;
    if (!r) return null;
    return { format: r.format, config: r.config, seq: r.seq, seqTime: r.seq_time, offsets: r.offsets, savedAt: r.saved_at, version: r.version, resultsEnd: r.results_end };
  }

  /** The kept undecided state's bytes. */
  state(): Buffer | null {
    if (!this.exists()) return null;
    return (this.db.prepare('SELECT state FROM analysis_snapshot WHERE id = 1').get() as { state: Buffer } | undefined)?.state ?? null;
  }

  /** The kept results' bytes, if they are kept. */
  results(): Buffer | null {
    if (!this.exists()) return null;
    return (this.db.prepare('SELECT results FROM analysis_snapshot WHERE id = 1').get() as { results: Buffer | null } | undefined)?.results ?? null;
  }

  /** Replaces the kept analysis with an undecided state (adding the table to a file that has none). */
  save(row: AnalysisSnapshotRow): void {
    if (this.readonly) throw new Error('This session is open read-only.');
    this.db.transaction(() => {
      // The table is a cache: one of another shape (an unreleased layout, a future one) is replaced.
      const columns = (this.db.prepare("SELECT name FROM pragma_table_info('analysis_snapshot')").all() as { name: string }[]).map((c) => c.name);
      if (columns.length > 0 && !SHAPE.every((c) => columns.includes(c))) this.db.exec('DROP TABLE analysis_snapshot');
      this.db.exec(ANALYSIS_SNAPSHOT_SQL);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO analysis_snapshot (id, format, config, seq, seq_time, offsets, saved_at, version, state, results, results_end)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
        )
        .run(row.format, row.config, row.seq, row.seqTime, row.offsets, row.savedAt, row.version, row.state);
      // IMMEDIATE: this transaction reads before it writes, and the writer thread commits on
      // its own connection meanwhile; a deferred one would then fail with SQLITE_BUSY at
      // once instead of waiting its turn.
    }).immediate();
  }

  /** Keeps the results of the kept state decided at `end`; false when the kept state is not the one covering `seq`. */
  saveResults(seq: number, end: number, results: Buffer): boolean {
    if (this.readonly || !this.exists()) return false;
    return this.db.prepare('UPDATE analysis_snapshot SET results = ?, results_end = ? WHERE id = 1 AND seq = ?').run(results, end, seq).changes === 1;
  }

  /** Drops the kept snapshot: the next open analyses the file from its first message. */
  clear(): void {
    if (this.readonly || !this.exists()) return;
    this.db.prepare('DELETE FROM analysis_snapshot').run();
  }

  /** Capture time of message `seq`, or null when there is none (a snapshot of other messages is stale). */
  timeAt(seq: number): number | null {
    const r = this.db.prepare('SELECT time FROM messages WHERE seq = ?').get(seq) as { time: number } | undefined;
    return r?.time ?? null;
  }

  /** How many consumer-group poll rows the file holds (the rowid of the last). */
  offsetRows(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(rowid), 0) AS n FROM group_offsets').get() as { n: number }).n;
  }

  /** Newest poll time among the first `rows` poll rows (-Infinity for none). */
  offsetTimeUpTo(rows: number): number {
    const r = this.db.prepare('SELECT MAX(time) AS t FROM group_offsets WHERE rowid <= ?').get(rows) as { t: number | null };
    return r.t ?? -Infinity;
  }

  /** Poll rows after the first `rows`, polled at or before `upTo`, in the order they were stored. */
  offsetsAfterRow(rows: number, upTo: number): GroupOffset[] {
    const found = this.db
      .prepare(
        `SELECT time, endpoint, group_id, topic, partition, CAST(offset AS TEXT) AS offset FROM group_offsets
         WHERE rowid > ? AND time <= ? ORDER BY rowid`,
      )
      .all(rows, upTo) as OffsetRow[];
    return toOffsets(found);
  }
}
